/** Migration 0008_idempotency: idempotency records (one per caller + key), shared by every replica. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0008_idempotency',
  description: 'idempotency records',
  sql: `
CREATE TABLE idempotency_records (
  id text PRIMARY KEY,
  scope text NOT NULL UNIQUE,
  tenant text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'completed', 'failed', 'outcome_unknown')),
  action_id text NOT NULL,
  lease_until bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX idempotency_records_tenant ON idempotency_records (tenant, created_at);
CREATE INDEX idempotency_records_settled ON idempotency_records (updated_at) WHERE state IN ('completed', 'failed');
`,
};
