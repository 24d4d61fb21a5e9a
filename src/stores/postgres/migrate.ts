/**
 * Versioned migrations of the PostgreSQL schema. Each migration has a stable id and its
 * SQL; `migrate` applies the missing ones in id order inside one transaction holding a
 * transaction-scoped advisory lock, so several replicas starting at once apply each
 * migration exactly once and a failure leaves the schema as it was. An applied migration
 * whose SQL changed since (checksum mismatch) is refused: the schema would no longer match
 * what the code expects.
 */
import { createHash } from 'node:crypto';
import { AirlockError } from '../../core/errors.ts';
import type { PostgresDatabase } from './database.ts';
import { MIGRATIONS } from './migrations/index.ts';

export interface Migration {
  /** `NNNN_name`: applied in this order. */
  id: string;
  description: string;
  sql: string;
}

/** Key of the advisory lock migrations hold (any constant; shared by every replica). */
const MIGRATION_LOCK = 0x6169726c; // 'airl'

function checksum(sql: string): string {
  return 'sha256:' + createHash('sha256').update(sql).digest('hex');
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export async function migrate(db: PostgresDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const ordered = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ids = new Set<string>();
  for (const m of ordered) {
    if (!/^\d{4}_[a-z0-9_]+$/.test(m.id) || ids.has(m.id)) throw new AirlockError('ERR_STORE_MIGRATION_INVALID', `migration id ${m.id} is malformed or repeated`);
    ids.add(m.id);
  }
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
    await tx.query(`CREATE TABLE IF NOT EXISTS ${db.schema}.airlock_migrations (
      id text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ id: string; checksum: string }>(`SELECT id, checksum FROM ${db.schema}.airlock_migrations`);
    const done = new Map(rows.map((r) => [r.id, r.checksum]));
    const report: MigrationReport = { applied: [], alreadyApplied: [] };
    for (const m of ordered) {
      const sum = checksum(m.sql);
      const prior = done.get(m.id);
      if (prior !== undefined) {
        if (prior !== sum) {
          throw new AirlockError('ERR_STORE_MIGRATION_MISMATCH', `migration ${m.id} was applied with different SQL; the schema does not match this version`, { status: 503 });
        }
        report.alreadyApplied.push(m.id);
        continue;
      }
      await tx.query(m.sql);
      await tx.query(`INSERT INTO ${db.schema}.airlock_migrations (id, checksum) VALUES ($1, $2)`, [m.id, sum]);
      report.applied.push(m.id);
    }
    // Migrations this code does not know: the schema is newer than the code.
    const unknown = [...done.keys()].filter((id) => !ids.has(id));
    if (unknown.length > 0) {
      throw new AirlockError('ERR_STORE_MIGRATION_UNKNOWN', `the schema has migrations this version does not know: ${unknown.join(', ')}`, { status: 503 });
    }
    return report;
  });
}

/** Refuses a schema that lacks a migration this code needs, or has one it does not know (when migrations are not run at start). */
export async function assertMigrated(db: PostgresDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<void> {
  let applied: Set<string>;
  try {
    applied = new Set((await db.query<{ id: string }>(`SELECT id FROM ${db.schema}.airlock_migrations`)).map((r) => r.id));
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') applied = new Set();
    else throw error;
  }
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new AirlockError('ERR_STORE_MIGRATION_UNKNOWN', `the schema has migrations this version does not know: ${unknown.join(', ')}`, { status: 503 });
  }
  const missing = migrations.map((m) => m.id).filter((id) => !applied.has(id));
  if (missing.length > 0) {
    throw new AirlockError('ERR_STORE_MIGRATION_PENDING', `the postgres schema ${db.schema} lacks migrations ${missing.join(', ')}: run airlock db migrate`, { status: 503 });
  }
}
