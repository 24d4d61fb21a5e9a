/**
 * SQLite side of the audit store: the schema (events table, lookup indexes, the
 * `event_refs` index of the other ids an event records, append-only triggers), the durability pragmas and the check that they really took effect. The check
 * reads the pragmas back on every open because a connection can silently end up with a
 * weaker setting than the one asked for.
 */
import type { DatabaseSync } from 'node:sqlite';
import { AirlockError } from '../../../core/errors.ts';
import { LATEST_AUDIT_SCHEMA, migrateAuditSchema } from './migrations.ts';

/** Version of the base schema below; migrations.ts moves it on (LATEST_AUDIT_SCHEMA). */
export const SCHEMA_VERSION = '1';
/** Versions a connection can read (a read-only open does not migrate). */
const READABLE_VERSIONS = new Set(['1', LATEST_AUDIT_SCHEMA]);

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS audit_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,
  ts TEXT NOT NULL,
  type TEXT NOT NULL,
  request_id TEXT NOT NULL,
  action_id TEXT,
  parent_action_id TEXT,
  session_id TEXT,
  trace_id TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS events_request_id ON events(request_id);
CREATE INDEX IF NOT EXISTS events_action_id ON events(action_id) WHERE action_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_parent_action_id ON events(parent_action_id) WHERE parent_action_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_session_id ON events(session_id) WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_trace_id ON events(trace_id);
CREATE TABLE IF NOT EXISTS event_refs (
  ref TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (ref, seq)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS event_refs_no_update BEFORE UPDATE ON event_refs
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS event_refs_no_delete BEFORE DELETE ON event_refs
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
`;

/** Columns in insert order. */
export const EVENT_COLUMNS = [
  'seq',
  'event_id',
  'ts',
  'type',
  'request_id',
  'action_id',
  'parent_action_id',
  'session_id',
  'trace_id',
  'body',
  'prev_hash',
  'hash',
] as const;

export const INSERT_REF_SQL = 'INSERT INTO event_refs (ref, seq) VALUES (?, ?)';

/**
 * Whether the database has the `event_refs` table. A log written before it existed gets it
 * at its next writable open (ensureSchema; its events carry no refs, so there is nothing to
 * backfill); opened read-only it has none, and lookups use the event columns alone.
 */
export function hasRefIndex(db: DatabaseSync): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'event_refs'`).get() !== undefined;
}

export const INSERT_SQL = `INSERT INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`;
export const SELECT_COLUMNS = EVENT_COLUMNS.join(', ');

function durabilityError(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_AUDIT_DURABILITY', message, { status: 503, cause });
}

export interface Durability {
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
}

export function readDurability(db: DatabaseSync): Durability {
  const journal = db.prepare('PRAGMA journal_mode').get() as { journal_mode?: unknown } | undefined;
  const sync = db.prepare('PRAGMA synchronous').get() as { synchronous?: unknown } | undefined;
  return { journalMode: String(journal?.journal_mode ?? '').toLowerCase(), synchronous: Number(sync?.synchronous ?? -1) };
}

/** Throws ERR_AUDIT_DURABILITY unless the connection is in WAL mode with synchronous=FULL. */
export function assertDurability(db: DatabaseSync): Durability {
  const found = readDurability(db);
  if (found.journalMode !== 'wal') {
    throw durabilityError(`audit database journal_mode is ${found.journalMode || 'unknown'}, wal is required`);
  }
  if (found.synchronous !== 2) {
    throw durabilityError(`audit database synchronous is ${found.synchronous}, full (2) is required`);
  }
  return found;
}

/**
 * Page size of a new audit log. A decision event is ~2 KB of canonical JSON: with 4 KiB pages
 * each row took a page of its own (two do not fit, ~42% of the table unused); 8 KiB pages hold
 * three to four. SQLite takes it only before the first table is written (and never once the
 * file is in WAL mode), so an existing log keeps the page size it was created with.
 */
export const NEW_LOG_PAGE_SIZE = 8192;

/** Asks for NEW_LOG_PAGE_SIZE; a no-op on a database that already has content. Call before applyDurability. */
export function applyNewLogPageSize(db: DatabaseSync): void {
  db.exec(`PRAGMA page_size = ${NEW_LOG_PAGE_SIZE}`);
}

/** Asks for WAL + synchronous=FULL, then reads both back (refusing the connection otherwise). */
export function applyDurability(db: DatabaseSync, options: { readOnly?: boolean } = {}): Durability {
  try {
    if (options.readOnly !== true) db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
  } catch (cause) {
    throw durabilityError('audit database refused the durability settings', cause);
  }
  return assertDurability(db);
}

/** WAL written between two automatic checkpoints: 10,000 pages of 4 KiB (the page size logs had before). */
const WAL_CHECKPOINT_BYTES = 10_000 * 4096;

/**
 * Settings for a connection that commits events (not durability: those are checked above).
 * Random ids in the lookup indexes touch index pages all over the file, so keep many pages
 * cached, and checkpoint the WAL less often (a page rewritten by many commits is copied into
 * the database once per checkpoint): every WAL_CHECKPOINT_BYTES, in pages of this log's size
 * (a log with 8 KiB pages checkpoints as much at once as one with 4 KiB pages did); the WAL
 * file is cut back to 64 MiB after a checkpoint.
 */
export function applyWriterTuning(db: DatabaseSync): void {
  const pageSize = Number((db.prepare('PRAGMA page_size').get() as { page_size?: unknown } | undefined)?.page_size ?? 4096);
  const pages = Math.max(1000, Math.round(WAL_CHECKPOINT_BYTES / (pageSize > 0 ? pageSize : 4096)));
  db.exec(`PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = ${pages}; PRAGMA journal_size_limit = 67108864;`);
}

/** Creates the schema if needed (in one immediate transaction) and checks its version. */
export function ensureSchema(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA_SQL);
    db.prepare(`INSERT OR IGNORE INTO audit_meta (key, value) VALUES ('schema_version', ?)`).run(SCHEMA_VERSION);
    const row = db.prepare(`SELECT value FROM audit_meta WHERE key = 'schema_version'`).get() as { value?: unknown } | undefined;
    if (typeof row?.value === 'string' && READABLE_VERSIONS.has(row.value)) migrateAuditSchema(db, row.value);
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
  checkSchemaVersion(db);
}

export function checkSchemaVersion(db: DatabaseSync): void {
  const row = db.prepare(`SELECT value FROM audit_meta WHERE key = 'schema_version'`).get() as { value?: unknown } | undefined;
  if (typeof row?.value !== 'string' || !READABLE_VERSIONS.has(row.value)) {
    throw new AirlockError('ERR_AUDIT_SCHEMA', `audit database schema version ${String(row?.value ?? 'none')} is not supported`, {
      status: 503,
    });
  }
}
