/** Migration 0009_session_budgets: per-session usage (steps, tool calls, spend, identical-call run, denials). */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0009_session_budgets',
  description: 'per-session budgets and loop signals',
  sql: `
CREATE TABLE session_budgets (
  session_id text PRIMARY KEY,
  steps bigint NOT NULL,
  tool_calls bigint NOT NULL,
  spend_micros bigint NOT NULL,
  fingerprint text,
  identical_run bigint NOT NULL,
  denials bigint NOT NULL,
  updated_at bigint NOT NULL
);
`,
};
