/** Migration 0002_credentials_memory_pins: credential revocations, one-time credential uses, memory entries and MCP pins. */
import type { Migration } from '../migrate.ts';

export const migration: Migration = {
  id: '0002_credentials_memory_pins',
  description: 'credential revocations, one-time credential uses, memory entries and MCP pins',
  sql: ``,
};
