/** Migration 0003_audit: the audit log, its chain head and reference index. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0003_audit',
  description: 'the audit log, its chain head and reference index',
  sql: ``,
};
