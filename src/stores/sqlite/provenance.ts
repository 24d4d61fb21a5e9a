/**
 * The provenance log (ProvenanceStore) in the embedded SQLite state database: one row per
 * registration, keyed by (session, ordinal), the registration as JSON text. Appends run in
 * `BEGIN IMMEDIATE … COMMIT` (the write lock is taken before the last ordinal is read), so
 * any number of connections, in this process or others on the same file, hand out
 * consecutive ordinals. An append is applied when it resolves (committed, kept if the process
 * dies) and durable once `durable()` resolves after it: the WAL is fsync'd off the event loop,
 * shared with the session activity's writes (deferred-sync.ts), and the pipeline waits for it
 * beside the call's audit commit.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { LogEntry, LoggedRegistration, ProvenanceStore } from '../../provenance/index.ts';
import { decodeRegistration, encodeRegistration } from '../../provenance/index.ts';
import type { DeferredSync } from './deferred-sync.ts';
import { deferredSyncOf, deferredTransaction } from './deferred-sync.ts';

export class SqliteProvenanceStore implements ProvenanceStore {
  readonly #db: DatabaseSync;
  readonly #sync: DeferredSync;
  readonly #last: StatementSync;
  readonly #insert: StatementSync;
  readonly #since: StatementSync;

  /** `db`: opened with openDurableSqlite (creates the table when missing). */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sync = deferredSyncOf(db);
    db.exec(`CREATE TABLE IF NOT EXISTS provenance_log (
      session_id TEXT NOT NULL,
      ordinal INTEGER NOT NULL,
      registration TEXT NOT NULL,
      PRIMARY KEY (session_id, ordinal)
    ) STRICT, WITHOUT ROWID`);
    this.#last = db.prepare('SELECT COALESCE(MAX(ordinal), 0) AS last FROM provenance_log WHERE session_id = ?');
    this.#insert = db.prepare('INSERT INTO provenance_log (session_id, ordinal, registration) VALUES (?, ?, ?)');
    this.#since = db.prepare('SELECT ordinal, registration FROM provenance_log WHERE session_id = ? AND ordinal > ? ORDER BY ordinal');
  }

  /** One transaction: committed when it resolves (durable: `durable()`); on a failure it is rolled back and nothing is appended (ERR_STATE_UNAVAILABLE). */
  async append(sessionId: string, registration: LoggedRegistration): Promise<{ ordinal: number }> {
    const body = encodeRegistration(registration);
    return deferredTransaction(this.#db, this.#sync, 'cannot append to the provenance log', () => {
      const ordinal = Number((this.#last.get(sessionId) as { last: number | bigint }).last) + 1;
      this.#insert.run(sessionId, ordinal, body);
      return { ordinal };
    });
  }

  /** Resolves once every append that resolved before this call is fsync'd; rejects for good when an fsync failed. */
  durable(): Promise<void> {
    return this.#sync.durable();
  }

  /** One read (a consistent snapshot); ERR_STATE_UNAVAILABLE when it fails, ERR_PROVENANCE_CORRUPT for a malformed row. */
  async since(sessionId: string, afterOrdinal: number): Promise<LogEntry[]> {
    let rows: Array<{ ordinal: number | bigint; registration: string }>;
    try {
      rows = this.#since.all(sessionId, Math.max(0, Math.floor(afterOrdinal))) as typeof rows;
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot read the provenance log', { cause, status: 503 });
    }
    return rows.map((row) => ({ ordinal: Number(row.ordinal), registration: decodeRegistration(row.registration) }));
  }
}
