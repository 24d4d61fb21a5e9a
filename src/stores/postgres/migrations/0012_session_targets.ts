/** Migration 0012_session_targets: the target scope an application declares for a session (JSON; NULL: none). */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0012_session_targets',
  description: 'declared target scope of a session',
  sql: `
ALTER TABLE sessions ADD COLUMN targets text;
`,
};
