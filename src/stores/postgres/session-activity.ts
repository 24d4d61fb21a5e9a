/**
 * Session activity (SessionActivityStore) in PostgreSQL (migration 0004): a row per session
 * (calls, high-water mark), per session and tool (calls), per session and read stamp
 * (records read). Each operation is one transaction that first upserts or updates the
 * session's row, which locks it: operations on one session, from any replica, run one after
 * the other, and each sees what the previous one committed (what an operation reads, it reads
 * in a statement after the one that took the lock, so its snapshot is taken once the lock is
 * held). Every operation is one round trip: a call is one statement; a snapshot, a counted
 * call and a read are server-side functions (migration 0006) whose statements each take a
 * fresh snapshot inside the one transaction. The read window follows the
 * rules of sessions/activity.ts exactly (the memory adapter is its reference); each snapshot
 * or read deletes the reads it drops for good. The session row keeps the window's running
 * total (migration 0013), so a snapshot sums only the reads that left or re-entered the
 * window since the last one, not every read in it.
 */
import type { ActivitySnapshot, SessionActivityStore } from '../../sessions/activity.ts';
import { READ_WINDOW_MS, STEP_BACK_GRACE_MS } from '../../sessions/activity.ts';
import type { PostgresDatabase } from './database.ts';

export class PostgresSessionActivityStore implements SessionActivityStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * One statement, so one transaction (both counters or neither); the session's row is
   * upserted first (the tool's row is inserted from its result), which locks it as the other
   * operations do. ERR_STORE_UNAVAILABLE when it could not commit.
   */
  async recordCall(sessionId: string, tool: string, at: number): Promise<void> {
    // A new session's high-water mark is the time of its first activity; a call does not move it.
    await this.#db.query(
      `WITH s AS (
         INSERT INTO session_activity (session_id, calls, high_water, last_seen) VALUES ($1, 1, $3, $3)
         ON CONFLICT (session_id) DO UPDATE SET calls = session_activity.calls + 1, last_seen = $3
         RETURNING session_id
       )
       INSERT INTO session_activity_tools (session_id, tool, calls) SELECT s.session_id, $2, 1 FROM s
       ON CONFLICT (session_id, tool) DO UPDATE SET calls = session_activity_tools.calls + 1`,
      [sessionId, tool, at],
    );
  }

  /** Nothing to wait for: every write resolves after its commit, which PostgreSQL made durable. */
  async durable(): Promise<void> {}

  /** One round trip (a server-side function: one transaction); ERR_STORE_UNAVAILABLE when it could not commit. */
  async recordRead(sessionId: string, count: number, at: number): Promise<void> {
    if (count <= 0) return;
    await this.#db.query('SELECT airlock_activity_read($1, $2, $3, $4, $5)', [sessionId, count, at, READ_WINDOW_MS, STEP_BACK_GRACE_MS]);
  }

  /** One round trip (one transaction; it may drop reads for good); ERR_STORE_UNAVAILABLE when the database does not answer. */
  async snapshot(sessionId: string, tool: string, now: number): Promise<ActivitySnapshot> {
    return this.#counts(sessionId, tool, now, false);
  }

  /** One round trip (one transaction): the call counted and the counters read after the session's lock. */
  async countCall(sessionId: string, tool: string, at: number): Promise<ActivitySnapshot> {
    return this.#counts(sessionId, tool, at, true);
  }

  async #counts(sessionId: string, tool: string, now: number, call: boolean): Promise<ActivitySnapshot> {
    const [row] = await this.#db.query<{ o_calls: string; o_tool_calls: string; o_reads: string }>('SELECT * FROM airlock_activity_counts($1, $2, $3, $4, $5, $6)', [
      sessionId,
      tool,
      now,
      READ_WINDOW_MS,
      STEP_BACK_GRACE_MS,
      call,
    ]);
    return { callCount: Number(row?.o_calls ?? 0), toolCallCount: Number(row?.o_tool_calls ?? 0), recordsReadLast10m: Number(row?.o_reads ?? 0) };
  }
}
