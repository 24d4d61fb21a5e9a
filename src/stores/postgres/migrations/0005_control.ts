/** Migration 0005_control: kill switches and the change feed. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0005_control',
  description: 'kill switches and the change feed',
  sql: ``,
};
