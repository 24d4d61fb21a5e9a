/**
 * Write-behind durability for the state database's per-call writes (session activity and
 * provenance): a transaction commits without its own fsync and the database's WAL is
 * fsync'd afterwards, off the event loop, once for every write committed before it.
 *
 * Why: each MCP call wrote its activity counters and the provenance of its result in three
 * commits of their own, each waiting for an fsync on the calling thread, on top of the two
 * audit commits. Now the call's writes are applied at once (committed: visible to every
 * reader in this process and in any other on the same file, and kept if the process dies,
 * since the WAL frames are in the operating system's cache) and become durable against a
 * crash of the machine when the WAL is next fsync'd: at the latest when the pipeline waits
 * for it beside the call's next audit commit (`durable()`), so the two fsyncs overlap.
 *
 * - A commit here runs at synchronous=NORMAL (the connection is set back to FULL right after,
 *   so every other store on it keeps committing with its own fsync). In WAL mode NORMAL still
 *   syncs the WAL before each checkpoint and the database after it: the file stays consistent
 *   after a crash; only commits since the last fsync of the WAL can be lost, and those are the
 *   ones `durable()` has not yet answered for.
 * - An fsync is started in the next turn of the event loop after a write (so the writes of one
 *   step of a call share it) or at once when `durable()` is asked; one in flight is waited for,
 *   and a write committed after it started needs the next one.
 * - An fsync that fails is final: the kernel may have dropped the pages it could not write
 *   while SQLite believes them committed. Every later `durable()` and every later write
 *   rejects (ERR_STATE_UNAVAILABLE): the callers refuse the call (fail closed).
 */
import { close, fsync, open } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';

/** Makes the WAL durable: fsync of an open descriptor of it (tests inject faults here). */
export type WalSync = () => Promise<void>;

function stateUnavailable(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_STATE_UNAVAILABLE', message, { status: 503, ...(cause === undefined ? {} : { cause }) });
}

/** Descriptors of WAL files, closed once the sync that opened one is gone with its database connection. */
const descriptors = new FinalizationRegistry<number>((fd) => close(fd, () => undefined));

/**
 * An fsync of `path` through one descriptor opened at first use and kept while the database
 * connection lives (SQLite takes no locks on the WAL file, so this descriptor releases none).
 */
function walSync(path: string): WalSync {
  let fd: Promise<number> | null = null;
  const sync = async () => {
    fd ??= new Promise<number>((resolve, reject) =>
      open(path, 'r', (error, opened) => {
        if (error !== null) return reject(error);
        descriptors.register(sync, opened);
        resolve(opened);
      }),
    );
    const descriptor = await fd.catch((error: unknown) => {
      fd = null;
      throw error;
    });
    await new Promise<void>((resolve, reject) => fsync(descriptor, (error) => (error === null ? resolve() : reject(error))));
  };
  return sync;
}

export class DeferredSync {
  readonly #sync: WalSync | null;
  /** Writes committed so far (a counter), and how many of them are known durable. */
  #written = 0;
  #synced = 0;
  #inflight: Promise<void> | null = null;
  #scheduled = false;
  #failed: AirlockError | null = null;

  /** `sync` null: nothing to make durable (an in-memory database). */
  constructor(sync: WalSync | null) {
    this.#sync = sync;
  }

  /** Throws when an earlier fsync failed (nothing may be written after that). */
  assertHealthy(): void {
    if (this.#failed !== null) throw this.#failed;
  }

  /** One more write committed without its own fsync: one is started in the next turn of the event loop. */
  wrote(): void {
    if (this.#sync === null) return;
    this.#written++;
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#synced < this.#written && this.#failed === null) void this.durable().catch(() => undefined);
    });
  }

  /** Resolves once every write committed before this call is durable; rejects (for good) when an fsync failed. */
  async durable(): Promise<void> {
    const target = this.#written;
    for (;;) {
      if (this.#failed !== null) throw this.#failed;
      if (this.#synced >= target) return;
      if (this.#inflight === null) this.#inflight = this.#flush();
      await this.#inflight;
    }
  }

  async #flush(): Promise<void> {
    const covers = this.#written;
    try {
      await (this.#sync as WalSync)();
      this.#synced = Math.max(this.#synced, covers);
    } catch (cause) {
      this.#failed ??= stateUnavailable('the state database could not be made durable (fsync failed)', cause);
    } finally {
      this.#inflight = null;
    }
  }
}

const syncs = new WeakMap<DatabaseSync, DeferredSync>();

/**
 * The one DeferredSync of a state database connection (shared by the stores on it), made on
 * first use: the fsync of `<path>-wal`, or none for an in-memory database. `sync` replaces the
 * fsync (tests); it is used only when the connection has none yet.
 */
export function deferredSyncOf(db: DatabaseSync, sync?: WalSync): DeferredSync {
  let deferred = syncs.get(db);
  if (deferred === undefined) {
    const path = db.location();
    deferred = new DeferredSync(sync ?? (path === null || path === '' ? null : walSync(`${path}-wal`)));
    syncs.set(db, deferred);
  }
  return deferred;
}

/**
 * One write transaction (`BEGIN IMMEDIATE` … `COMMIT`, atomic against every connection to the
 * file) committed without waiting for an fsync; `deferred.durable()` answers for it. Any fault
 * rolls back and is ERR_STATE_UNAVAILABLE with `message`; nothing is written once an fsync failed.
 */
export function deferredTransaction<T>(db: DatabaseSync, deferred: DeferredSync, message: string, body: () => T): T {
  deferred.assertHealthy();
  let began = false;
  try {
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('BEGIN IMMEDIATE');
    began = true;
    const value = body();
    db.exec('COMMIT');
    began = false;
    deferred.wrote();
    return value;
  } catch (cause) {
    if (began) {
      try {
        if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
      } catch {
        // The connection is unusable; the next call reports it.
      }
    }
    throw stateUnavailable(message, cause);
  } finally {
    try {
      if (db.isOpen) db.exec('PRAGMA synchronous = FULL');
    } catch {
      // Only inside a transaction can this fail, and none is left open here.
    }
  }
}
