/** Migration 0004_provenance_activity: session content registrations (provenance) and session activity. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0004_provenance_activity',
  description: 'session content registrations (provenance) and session activity',
  sql: `
CREATE TABLE provenance_heads (
  session_id text PRIMARY KEY,
  last_ordinal bigint NOT NULL
);
CREATE TABLE provenance_log (
  session_id text NOT NULL,
  ordinal bigint NOT NULL,
  registration text NOT NULL,
  PRIMARY KEY (session_id, ordinal)
);
CREATE TABLE session_activity (
  session_id text PRIMARY KEY,
  calls bigint NOT NULL,
  high_water bigint NOT NULL,
  last_seen bigint NOT NULL
);
CREATE TABLE session_activity_tools (
  session_id text NOT NULL,
  tool text NOT NULL,
  calls bigint NOT NULL,
  PRIMARY KEY (session_id, tool)
);
CREATE TABLE session_activity_reads (
  session_id text NOT NULL,
  at bigint NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (session_id, at)
);
`,
};
