/**
 * Opening an embedded SQLite database the way every durable Airlock store needs it:
 * WAL journal, synchronous=FULL, a busy timeout, and both settings read back and
 * asserted on every open (a database that silently runs at NORMAL could lose an
 * acknowledged write on power loss).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';

export interface DurableSqliteOptions {
  /** Milliseconds a writer waits for another writer's lock. */
  busyTimeoutMs?: number;
  /** Error code prefix area used in failures, e.g. `AUDIT`, `STATE`. */
  area: string;
}

/**
 * Prepares the file of a database about to be opened: a folder it needs is created private
 * (0700), and a new database file is created empty with mode 0600 before SQLite opens it
 * (SQLite gives its -wal and -shm files the database file's mode). The databases hold
 * sessions, memories, approvals and the audit log: no other local user reads them. An
 * existing file keeps its mode (the operator chose it).
 */
export function createPrivateDatabaseFile(path: string): void {
  if (path === ':memory:' || path.startsWith('file:')) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export function openDurableSqlite(path: string, options: DurableSqliteOptions): DatabaseSync {
  const code = `ERR_${options.area}_DURABILITY` as const;
  let db: DatabaseSync;
  try {
    createPrivateDatabaseFile(path);
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
  } catch (cause) {
    throw new AirlockError(`ERR_${options.area}_UNAVAILABLE`, `cannot open sqlite database at ${path}`, {
      cause,
      status: 503,
    });
  }
  assertDurable(db, path, code);
  return db;
}

/** Reads the pragmas back; throws when the connection is not WAL + synchronous=FULL. */
export function assertDurable(db: DatabaseSync, path: string, code: `ERR_${string}` = 'ERR_SQLITE_DURABILITY'): void {
  const sync = db.prepare('PRAGMA synchronous').get() as { synchronous?: number } | undefined;
  const journal = db.prepare('PRAGMA journal_mode').get() as { journal_mode?: string } | undefined;
  const isMemory = path === ':memory:';
  if (sync?.synchronous !== 2 || (!isMemory && journal?.journal_mode !== 'wal')) {
    db.close();
    throw new AirlockError(code, `sqlite database at ${path} is not durable (synchronous=${String(sync?.synchronous)}, journal_mode=${String(journal?.journal_mode)})`, {
      status: 503,
    });
  }
}
