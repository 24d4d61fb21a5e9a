/** Migration 0002_credentials_memory_pins: credential revocations, one-time credential uses, memory entries and MCP pins. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0002_credentials_memory_pins',
  description: 'credential revocations, one-time credential uses, memory entries and MCP pins',
  sql: `
-- One row per revocation target (kind + key, see src/credentials/revocation-key.ts); times are epoch ms.
CREATE TABLE credential_revocations (
  kind text NOT NULL CHECK (kind IN ('jti', 'user', 'tenant', 'connector')),
  key text NOT NULL,
  target text NOT NULL,
  revoked_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  PRIMARY KEY (kind, key)
);
CREATE INDEX credential_revocations_expires ON credential_revocations (expires_at);

-- One row per one-time credential accepted; expires_at is epoch seconds.
CREATE TABLE credential_uses (
  jti text PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX credential_uses_expires ON credential_uses (expires_at);

-- Memory records: the record as JSON text (state and review kept in their own columns, so a
-- review is one compare-and-set UPDATE); times are epoch ms.
CREATE TABLE memory_records (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  owner text NOT NULL,
  kind text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'pending_review', 'rejected')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  review text,
  body text NOT NULL
);
CREATE INDEX memory_records_tenant ON memory_records (tenant, state, created_at DESC, id COLLATE "C" DESC);

-- The derived search index; rows go with their record (same transaction, and ON DELETE CASCADE).
CREATE TABLE memory_terms (
  tenant text NOT NULL,
  term text NOT NULL,
  id text NOT NULL REFERENCES memory_records (id) ON DELETE CASCADE,
  PRIMARY KEY (tenant, term, id)
);
CREATE INDEX memory_terms_id ON memory_terms (id);

-- MCP pins: one row per (upstream, tool); the record as JSON text; observed_at is epoch ms.
CREATE TABLE mcp_pins (
  upstream text NOT NULL,
  tool text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
  hash text NOT NULL,
  approved_hash text,
  observed_at bigint NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (upstream, tool)
);
CREATE INDEX mcp_pins_observed ON mcp_pins (observed_at, upstream COLLATE "C", tool COLLATE "C");
`,
};
