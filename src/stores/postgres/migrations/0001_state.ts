/**
 * Migration 0001_state: approval requests, sessions and overrides.
 *
 * Bodies are JSON kept as `text`, not `jsonb`: a body must read back exactly as written, and
 * `jsonb` refuses the escaped NUL (`\u0000`) that untrusted text quoted in a request (an
 * evidence snippet, a summary) may carry. What a compare-and-set tests or a listing filters
 * on is a column of its own. Ids and tenants sort by code point (`COLLATE "C"`), as the
 * other adapters compare them, whatever the database's default collation.
 */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0001_state',
  description: 'approval requests, sessions and overrides',
  sql: `
CREATE TABLE approval_requests (
  id text COLLATE "C" PRIMARY KEY,
  tenant text COLLATE "C" NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  -- The request as created (JSON).
  body text NOT NULL,
  -- The patch (JSON) of every transition, in the order they happened; read as shallow merges over body.
  patches text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX approval_requests_tenant_state ON approval_requests (tenant, state, created_at, id);
CREATE INDEX approval_requests_pending ON approval_requests (tenant, created_at) WHERE state = 'pending';

CREATE TABLE sessions (
  id text COLLATE "C" PRIMARY KEY,
  owner_user text NOT NULL,
  owner_tenant text NOT NULL,
  owner_issuer text NOT NULL,
  -- NULL when the token that created the session named no acting agent.
  owner_agent text,
  attributes text NOT NULL,
  created_at bigint NOT NULL
);

CREATE TABLE overrides (
  id text COLLATE "C" PRIMARY KEY,
  tenant text COLLATE "C" NOT NULL,
  kind text NOT NULL CHECK (kind IN ('action', 'tool')),
  -- The action hash (kind 'action') or the tool name (kind 'tool').
  target text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  revoked_at bigint,
  expired_at bigint,
  uses bigint NOT NULL DEFAULT 0 CHECK (uses >= 0),
  -- The override as created (JSON).
  body text NOT NULL,
  -- revoked_by and revoke_justification (JSON), set by the one revocation.
  revocation text
);
CREATE INDEX overrides_tenant ON overrides (tenant, created_at, id);
CREATE INDEX overrides_candidates ON overrides (tenant, kind, target) WHERE revoked_at IS NULL AND expired_at IS NULL;
CREATE INDEX overrides_open ON overrides (expires_at) WHERE revoked_at IS NULL AND expired_at IS NULL;
`,
};
