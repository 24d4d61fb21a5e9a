/** Migration 0004_provenance_activity: session content registrations (provenance) and session activity. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0004_provenance_activity',
  description: 'session content registrations (provenance) and session activity',
  sql: ``,
};
