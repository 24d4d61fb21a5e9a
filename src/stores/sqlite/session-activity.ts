/**
 * Session activity (SessionActivityStore) in the embedded SQLite state database: a row per
 * session (calls, high-water mark, the read window's running total), a row per session and
 * tool (calls), a row per session and read stamp (records read). Every operation is one
 * `BEGIN IMMEDIATE … COMMIT`, so it is atomic against other connections to the same file
 * (another gateway process); it is applied
 * when it resolves (committed, kept if the process dies) and durable once `durable()` resolves
 * after it: the WAL is fsync'd off the event loop, shared with the provenance log's writes
 * (deferred-sync.ts), and the pipeline waits for it beside the call's audit commit. The read window follows the rules of
 * sessions/activity.ts exactly (the memory adapter is its reference): each snapshot or read
 * deletes the reads it drops for good, so a session holds at most the reads of its last
 * fifteen minutes (window + grace).
 *
 * The session row keeps the window's total as the memory adapter does: `read_total` is the sum
 * of the reads stamped after `read_since`. Moving the window to `now` sums only the reads
 * between the old and the new start (those leaving it, or coming back when the clock stepped
 * back), so a snapshot costs nothing per read still inside the window; a row without a total
 * (written before these columns existed) has it summed once.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { ActivitySnapshot, SessionActivityStore } from '../../sessions/activity.ts';
import { READ_WINDOW_MS, STEP_BACK_GRACE_MS } from '../../sessions/activity.ts';
import type { DeferredSync } from './deferred-sync.ts';
import { deferredSyncOf, deferredTransaction } from './deferred-sync.ts';

/** The session row's high-water mark and window (`read_since`, `read_total`: null until first moved). */
interface WindowRow {
  high_water: number | bigint;
  read_since: number | bigint | null;
  read_total: number | bigint | null;
}

/** Adds the window columns to a table created before they existed (another connection may be doing the same). */
function addWindowColumns(db: DatabaseSync): void {
  const has = () => (db.prepare('PRAGMA table_info(session_activity)').all() as Array<{ name: string }>).some((c) => c.name === 'read_total');
  if (has()) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    if (!has()) db.exec('ALTER TABLE session_activity ADD COLUMN read_since INTEGER; ALTER TABLE session_activity ADD COLUMN read_total INTEGER');
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}

export class SqliteSessionActivityStore implements SessionActivityStore {
  readonly #db: DatabaseSync;
  readonly #sync: DeferredSync;
  readonly #touchCall: StatementSync;
  readonly #touchRead: StatementSync;
  readonly #raise: StatementSync;
  readonly #tool: StatementSync;
  readonly #drop: StatementSync;
  readonly #lastRead: StatementSync;
  readonly #addRead: StatementSync;
  readonly #toolCalls: StatementSync;
  readonly #setWindow: StatementSync;
  readonly #readsBetween: StatementSync;
  readonly #readsAfter: StatementSync;

  /** `db`: opened with openDurableSqlite (creates the tables when missing). */
  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sync = deferredSyncOf(db);
    db.exec(`CREATE TABLE IF NOT EXISTS session_activity (
      session_id TEXT PRIMARY KEY,
      calls INTEGER NOT NULL,
      high_water INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      read_since INTEGER,
      read_total INTEGER
    ) STRICT;
    CREATE TABLE IF NOT EXISTS session_activity_tools (
      session_id TEXT NOT NULL,
      tool TEXT NOT NULL,
      calls INTEGER NOT NULL,
      PRIMARY KEY (session_id, tool)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS session_activity_reads (
      session_id TEXT NOT NULL,
      at INTEGER NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (session_id, at)
    ) STRICT, WITHOUT ROWID`);
    addWindowColumns(db);
    // A new session's high-water mark is the time of its first activity; a call does not move it (a read or a snapshot does).
    this.#touchCall = db.prepare(`INSERT INTO session_activity (session_id, calls, high_water, last_seen) VALUES (?1, 1, ?2, ?2)
      ON CONFLICT (session_id) DO UPDATE SET calls = calls + 1, last_seen = ?2`);
    this.#touchRead = db.prepare(`INSERT INTO session_activity (session_id, calls, high_water, last_seen) VALUES (?1, 0, ?2, ?2)
      ON CONFLICT (session_id) DO UPDATE SET high_water = MAX(high_water, ?2), last_seen = ?2 RETURNING high_water, read_since, read_total`);
    this.#raise = db.prepare('UPDATE session_activity SET high_water = MAX(high_water, ?2) WHERE session_id = ?1 RETURNING calls, high_water, read_since, read_total');
    this.#setWindow = db.prepare('UPDATE session_activity SET read_since = ?2, read_total = ?3 WHERE session_id = ?1');
    this.#readsBetween = db.prepare('SELECT COALESCE(SUM(count), 0) AS total FROM session_activity_reads WHERE session_id = ? AND at > ? AND at <= ?');
    this.#tool = db.prepare(`INSERT INTO session_activity_tools (session_id, tool, calls) VALUES (?, ?, 1)
      ON CONFLICT (session_id, tool) DO UPDATE SET calls = calls + 1`);
    this.#drop = db.prepare('DELETE FROM session_activity_reads WHERE session_id = ?1 AND at <= ?2 AND at <= ?3');
    this.#lastRead = db.prepare('SELECT MAX(at) AS at FROM session_activity_reads WHERE session_id = ?');
    this.#addRead = db.prepare(`INSERT INTO session_activity_reads (session_id, at, count) VALUES (?, ?, ?)
      ON CONFLICT (session_id, at) DO UPDATE SET count = count + excluded.count`);
    this.#toolCalls = db.prepare('SELECT calls FROM session_activity_tools WHERE session_id = ? AND tool = ?');
    this.#readsAfter = db.prepare('SELECT COALESCE(SUM(count), 0) AS total FROM session_activity_reads WHERE session_id = ? AND at > ?');
  }

  /** Resolves once every write that resolved before this call is fsync'd; rejects for good when an fsync failed. */
  durable(): Promise<void> {
    return this.#sync.durable();
  }

  /** One transaction (both counters or neither); ERR_STATE_UNAVAILABLE when it could not commit (nothing counted). */
  async recordCall(sessionId: string, tool: string, at: number): Promise<void> {
    this.#transaction('cannot record the call', () => {
      this.#touchCall.run(sessionId, at);
      this.#tool.run(sessionId, tool);
    });
  }

  /** One transaction (one commit) for the count and the read; ERR_STATE_UNAVAILABLE when it could not commit (nothing counted). */
  async countCall(sessionId: string, tool: string, at: number): Promise<ActivitySnapshot> {
    return this.#transaction('cannot record the call', () => {
      this.#touchCall.run(sessionId, at);
      this.#tool.run(sessionId, tool);
      return this.#read(sessionId, tool, at);
    });
  }

  /** One transaction; ERR_STATE_UNAVAILABLE when it could not commit (nothing counted). */
  async recordRead(sessionId: string, count: number, at: number): Promise<void> {
    if (count <= 0) return;
    this.#transaction('cannot record the read', () => {
      const row = this.#touchRead.get(sessionId, at) as unknown as WindowRow;
      const total = this.#moveWindow(sessionId, at, row);
      this.#dropGone(sessionId, at, Number(row.high_water));
      const last = (this.#lastRead.get(sessionId) as { at: number | bigint | null }).at;
      // Stamped at `at` or later: inside the window that starts at `at - READ_WINDOW_MS`.
      this.#addRead.run(sessionId, Math.max(at, last === null ? -Infinity : Number(last)), count);
      this.#setWindow.run(sessionId, at - READ_WINDOW_MS, total + count);
    });
  }

  /** One transaction (it may drop reads for good); ERR_STATE_UNAVAILABLE when it fails. */
  async snapshot(sessionId: string, tool: string, now: number): Promise<ActivitySnapshot> {
    return this.#transaction('cannot read the session activity', () => this.#read(sessionId, tool, now));
  }

  /** Inside a transaction: moves the window to `now`, drops what is gone for good, answers the counters. */
  #read(sessionId: string, tool: string, now: number): ActivitySnapshot {
    const row = this.#raise.get(sessionId, now) as (WindowRow & { calls: number | bigint }) | undefined;
    if (row === undefined) return { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 };
    const total = this.#moveWindow(sessionId, now, row);
    this.#setWindow.run(sessionId, now - READ_WINDOW_MS, total);
    this.#dropGone(sessionId, now, Number(row.high_water));
    const toolCalls = this.#toolCalls.get(sessionId, tool) as { calls: number | bigint } | undefined;
    return { callCount: Number(row.calls), toolCallCount: Number(toolCalls?.calls ?? 0), recordsReadLast10m: total };
  }

  /**
   * Inside a transaction: the window's total once it starts at `now - READ_WINDOW_MS`, from the
   * row's total by the reads between its start and the new one (leaving it, or back in it when
   * the clock stepped back), or summed whole when the row has none. Reads dropped for good were
   * out of the window when they were dropped, so they are in no total.
   */
  #moveWindow(sessionId: string, now: number, row: WindowRow): number {
    const since = now - READ_WINDOW_MS;
    const sum = (statement: StatementSync, ...bounds: number[]) => Number((statement.get(sessionId, ...bounds) as { total: number | bigint }).total);
    if (row.read_since === null || row.read_total === null) return sum(this.#readsAfter, since);
    const before = Number(row.read_since);
    const total = Number(row.read_total);
    if (since > before) return total - sum(this.#readsBetween, before, since);
    if (since < before) return total + sum(this.#readsBetween, since, before);
    return total;
  }

  /** Drops the reads out of the window at `now` and older than the grace behind the high-water mark. */
  #dropGone(sessionId: string, now: number, highWater: number): void {
    this.#drop.run(sessionId, now - READ_WINDOW_MS, highWater - READ_WINDOW_MS - STEP_BACK_GRACE_MS);
  }

  #transaction<T>(what: string, body: () => T): T {
    return deferredTransaction(this.#db, this.#sync, what, body);
  }
}
