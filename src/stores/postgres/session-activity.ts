/**
 * Session activity (SessionActivityStore) in PostgreSQL (migration 0004): a row per session
 * (calls, high-water mark), per session and tool (calls), per session and read stamp
 * (records read). Each operation is one transaction that first upserts or updates the
 * session's row, which locks it: operations on one session, from any replica, run one after
 * the other, and each sees what the previous one committed. The read window follows the
 * rules of sessions/activity.ts exactly (the memory adapter is its reference); each snapshot
 * or read deletes the reads it drops for good.
 */
import type { ActivitySnapshot, SessionActivityStore } from '../../sessions/activity.ts';
import { READ_WINDOW_MS, STEP_BACK_GRACE_MS } from '../../sessions/activity.ts';
import type { PostgresDatabase, PostgresTx } from './database.ts';

async function dropGone(tx: PostgresTx, sessionId: string, now: number, highWater: number): Promise<void> {
  await tx.query('DELETE FROM session_activity_reads WHERE session_id = $1 AND at <= $2 AND at <= $3', [
    sessionId,
    now - READ_WINDOW_MS,
    highWater - READ_WINDOW_MS - STEP_BACK_GRACE_MS,
  ]);
}

export class PostgresSessionActivityStore implements SessionActivityStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /** One transaction (both counters or neither); ERR_STORE_UNAVAILABLE when it could not commit. */
  async recordCall(sessionId: string, tool: string, at: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      // A new session's high-water mark is the time of its first activity; a call does not move it.
      await tx.query(
        `INSERT INTO session_activity (session_id, calls, high_water, last_seen) VALUES ($1, 1, $2, $2)
         ON CONFLICT (session_id) DO UPDATE SET calls = session_activity.calls + 1, last_seen = $2`,
        [sessionId, at],
      );
      await tx.query(
        `INSERT INTO session_activity_tools (session_id, tool, calls) VALUES ($1, $2, 1)
         ON CONFLICT (session_id, tool) DO UPDATE SET calls = session_activity_tools.calls + 1`,
        [sessionId, tool],
      );
    });
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
      await dropGone(tx, sessionId, at, Number(row?.high_water));
      const [last] = await tx.query<{ at: string | null }>('SELECT MAX(at) AS at FROM session_activity_reads WHERE session_id = $1', [sessionId]);
      const stamp = Math.max(at, last?.at === null || last?.at === undefined ? -Infinity : Number(last.at));
      await tx.query(
        `INSERT INTO session_activity_reads (session_id, at, count) VALUES ($1, $2, $3)
         ON CONFLICT (session_id, at) DO UPDATE SET count = session_activity_reads.count + EXCLUDED.count`,
        [sessionId, stamp, count],
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
      await dropGone(tx, sessionId, now, Number(row.high_water));
      const [toolCalls] = await tx.query<{ calls: string }>('SELECT calls FROM session_activity_tools WHERE session_id = $1 AND tool = $2', [sessionId, tool]);
      const [reads] = await tx.query<{ total: string }>('SELECT COALESCE(SUM(count), 0) AS total FROM session_activity_reads WHERE session_id = $1 AND at > $2', [
        sessionId,
        now - READ_WINDOW_MS,
      ]);
      return { callCount: Number(row.calls), toolCallCount: Number(toolCalls?.calls ?? 0), recordsReadLast10m: Number(reads?.total ?? 0) };
    });
  }
}
