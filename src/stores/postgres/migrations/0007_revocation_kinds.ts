/**
 * Migration 0007_revocation_kinds: credential revocations by acting agent, tool, session,
 * tenant-confined connector and everything (global), so every kill switch scope revokes the
 * credentials it covers. The table keeps its shape (one row per kind + key, see
 * src/credentials/revocation-key.ts); only the allowed kinds widen.
 */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0007_revocation_kinds',
  description: 'credential revocations by agent, tool, session, tenant-confined connector and global',
  sql: `
ALTER TABLE credential_revocations DROP CONSTRAINT credential_revocations_kind_check;
ALTER TABLE credential_revocations ADD CONSTRAINT credential_revocations_kind_check
  CHECK (kind IN ('jti', 'user', 'tenant', 'connector', 'tenant_connector', 'agent', 'tool', 'session', 'global'));
`,
};
