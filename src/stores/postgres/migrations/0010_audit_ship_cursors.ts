/** Migration 0010_audit_ship_cursors: where each audit shipper (SIEM destination) has got to. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0010_audit_ship_cursors',
  description: 'audit shipping cursors (last seq each SIEM destination took)',
  sql: `
CREATE TABLE audit_ship_cursors (
  name TEXT PRIMARY KEY,
  seq BIGINT NOT NULL CHECK (seq >= 0),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
};
