/**
 * Session activity (SessionActivityStore) in PostgreSQL (migration 0004): a row per session
 * (calls, high-water mark), per session and tool (calls), per session and read stamp
 * (records read). Each operation is one transaction that first upserts or updates the
 * session's row, which locks it: operations on one session, from any replica, run one after
 * the other, and each sees what the previous one committed (what an operation reads, it reads
 * in a statement after the one that took the lock, so its snapshot is taken once the lock is
 * held). Round trips are few: a call is one statement; a snapshot or a read is the lock
 * statement and one more. The read window follows the
 * rules of sessions/activity.ts exactly (the memory adapter is its reference); each snapshot
 * or read deletes the reads it drops for good.
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

  /** One transaction; ERR_STORE_UNAVAILABLE when it could not commit. */
  async recordRead(sessionId: string, count: number, at: number): Promise<void> {
    if (count <= 0) return;
    await this.#db.transaction(async (tx) => {
      const [row] = await tx.query<{ high_water: string }>(
        `INSERT INTO session_activity (session_id, calls, high_water, last_seen) VALUES ($1, 0, $2, $2)
         ON CONFLICT (session_id) DO UPDATE SET high_water = GREATEST(session_activity.high_water, $2), last_seen = $2
         RETURNING high_water`,
        [sessionId, at],
      );
      // After the lock, one statement (one snapshot, taken once the lock is held): drop the reads
      // gone for good, stamp the new ones no earlier than the latest kept. The dropped reads are
      // all older than `at` (by the window), so the latest one seen, dropped or kept, stamps alike.
      await tx.query(
        `WITH gone AS (
           DELETE FROM session_activity_reads WHERE session_id = $1 AND at <= $4 AND at <= $5
         ), latest AS (
           SELECT MAX(at) AS at FROM session_activity_reads WHERE session_id = $1
         )
         INSERT INTO session_activity_reads (session_id, at, count)
         SELECT $1, GREATEST($2::bigint, COALESCE(latest.at, $2::bigint)), $3 FROM latest
         ON CONFLICT (session_id, at) DO UPDATE SET count = session_activity_reads.count + EXCLUDED.count`,
        [sessionId, at, count, at - READ_WINDOW_MS, Number(row?.high_water) - READ_WINDOW_MS - STEP_BACK_GRACE_MS],
      );
    });
  }

  /** One transaction (it may drop reads for good); ERR_STORE_UNAVAILABLE when the database does not answer. */
  async snapshot(sessionId: string, tool: string, now: number): Promise<ActivitySnapshot> {
    return this.#db.transaction(async (tx) => {
      const [row] = await tx.query<{ calls: string; high_water: string }>(
        'UPDATE session_activity SET high_water = GREATEST(high_water, $2) WHERE session_id = $1 RETURNING calls, high_water',
        [sessionId, now],
      );
      if (row === undefined) return { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 };
      // After the lock, one statement (one snapshot, taken once the lock is held): drop the reads
      // gone for good (all at or before now - window) and count those inside the window.
      const [counts] = await tx.query<{ tool_calls: string | null; reads: string }>(
        `WITH gone AS (
           DELETE FROM session_activity_reads WHERE session_id = $1 AND at <= $3 AND at <= $4
         )
         SELECT (SELECT calls FROM session_activity_tools WHERE session_id = $1 AND tool = $2) AS tool_calls,
                (SELECT COALESCE(SUM(count), 0) FROM session_activity_reads WHERE session_id = $1 AND at > $3) AS reads`,
        [sessionId, tool, now - READ_WINDOW_MS, Number(row.high_water) - READ_WINDOW_MS - STEP_BACK_GRACE_MS],
      );
      return { callCount: Number(row.calls), toolCallCount: Number(counts?.tool_calls ?? 0), recordsReadLast10m: Number(counts?.reads ?? 0) };
    });
  }
}
