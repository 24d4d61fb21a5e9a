/** Migration 0001_state: approval requests, sessions and overrides. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0001_state',
  description: 'approval requests, sessions and overrides',
  sql: ``,
};
