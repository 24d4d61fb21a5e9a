/** Migration 0005_control: kill switches and the change feed. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0005_control',
  description: 'kill switches and the change feed',
  sql: `
CREATE TABLE kill_switches (
  id text PRIMARY KEY,
  scope text NOT NULL CHECK (scope IN ('global', 'tenant', 'agent', 'tool', 'connector', 'session')),
  target text NOT NULL,
  tenant text,
  engaged_at bigint NOT NULL,
  released_at bigint,
  body jsonb NOT NULL
);
CREATE INDEX kill_switches_active ON kill_switches (engaged_at, id) WHERE released_at IS NULL;
-- The change version: one row, bumped in the transaction of every engage and release (its
-- row lock orders concurrent changes); replicas poll it and are told on commit (NOTIFY).
CREATE TABLE kill_switch_version (
  one smallint PRIMARY KEY CHECK (one = 1),
  version bigint NOT NULL
);
INSERT INTO kill_switch_version (one, version) VALUES (1, 0);
`,
};
