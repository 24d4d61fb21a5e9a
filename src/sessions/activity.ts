/**
 * Session activity: the per-session counters policy sees (calls decided, calls per tool,
 * records read in a sliding ten-minute window), the store interface their adapters meet,
 * and the memory adapter (one process; idle sessions evicted after an hour once it is full;
 * when it is full of sessions active within the hour, a new session's activity is refused
 * with ERR_STATE_UNAVAILABLE - the call is denied - rather than an active session's counters
 * forgotten).
 *
 * The read window, in every adapter: a read is stamped no earlier than the latest read the
 * session still holds (so, should the clock step back, it stays in the window a little
 * longer, never shorter); reads in the same millisecond share one entry. A snapshot at `now`
 * counts the reads stamped after `now - 10 min`. Reads that left the window are kept for
 * STEP_BACK_GRACE_MS more, so a clock stepping back by up to that much counts them again (the
 * budget errs strict); each snapshot or read drops for good only the reads that are out of
 * the window at its `now` and older than the grace behind the latest time the session's
 * activity has seen (its high-water mark: its first call or read, then every snapshot and
 * read). Call counts never expire.
 *
 * The memory adapter keeps the window as a queue in time order with a running total: a
 * snapshot drops what left the window from the front, so it costs nothing per read still
 * inside it (a busy session reads thousands of records in ten minutes).
 */
import { AirlockError } from '../core/errors.ts';

export const READ_WINDOW_MS = 10 * 60 * 1000;
/** How far back the clock may step while the window still counts every read it would have. */
export const STEP_BACK_GRACE_MS = 5 * 60 * 1000;

export interface ActivitySnapshot {
  /** Calls of the session recorded so far (every tool). */
  callCount: number;
  /** Calls of the session to this tool recorded so far. */
  toolCallCount: number;
  /** Records read by the session in the ten minutes before `now`. */
  recordsReadLast10m: number;
}

/**
 * Writes below are *applied* once they resolve: every later read, in this process or any other
 * on the same data, sees them, and they outlive a crash of the process. They are *durable*
 * (outlive a crash of the machine) once `durable()` resolves after them; an adapter whose
 * commits are durable by themselves answers `durable()` at once. The pipeline waits for
 * `durable()` beside the audit commit that follows a call's writes (before the tool runs, before
 * the result is handed over), so nothing a session did is acknowledged before it is durable.
 */
export interface SessionActivityStore {
  /**
   * Counts one call of `tool` in the session at time `at` (epoch ms). Atomic (both counters or
   * neither) and applied once it resolves; rejects when it could not be written, and then
   * nothing was counted - except that a commit whose answer was lost may have counted (the
   * count errs high, never low).
   */
  recordCall(sessionId: string, tool: string, at: number): Promise<void>;
  /**
   * Counts `count` records read by the session at time `at` (nothing for `count <= 0`),
   * stamped as the header says. Atomic and applied once it resolves; rejects when it could
   * not be written (as recordCall).
   */
  recordRead(sessionId: string, count: number, at: number): Promise<void>;
  /**
   * The session's counters at time `now` (all zero for a session with no activity); moves the
   * session's read window to `now` (which may drop reads for good, as the header says).
   * Rejects when the store cannot be read (never answers with lower counts than it holds).
   */
  snapshot(sessionId: string, tool: string, now: number): Promise<ActivitySnapshot>;
  /**
   * recordCall then snapshot at `at`, as one atomic operation: counts the call and answers
   * the counters including it. Applied once it resolves; when it rejects nothing was counted
   * (a lost commit answer may have counted: errs high).
   */
  countCall(sessionId: string, tool: string, at: number): Promise<ActivitySnapshot>;
  /**
   * Resolves once every write that resolved before this call is durable. Rejects
   * (ERR_STATE_UNAVAILABLE) when one could not be made durable; from then on every write and
   * every `durable()` of the store rejects too (its committed writes may be lost).
   */
  durable(): Promise<void>;
}

const IDLE_EVICT_MS = 60 * 60 * 1000;
const DEFAULT_MAX_SESSIONS = 100_000;

interface Activity {
  calls: number;
  perTool: Map<string, number>;
  /**
   * Reads, oldest first (`at` never decreases): those before `floor` are gone for good, those
   * from `floor` to `head` left the window (kept for a clock that steps back), from `head` on live.
   */
  reads: Array<{ at: number; count: number }>;
  floor: number;
  head: number;
  /** The latest time the session's activity has seen. */
  highWater: number;
  /** Sum of `count` over the live entries. */
  readTotal: number;
  lastSeen: number;
}

/** Session activity in this process's memory (lost on restart, not shared between replicas). */
export class MemorySessionActivityStore implements SessionActivityStore {
  readonly #sessions = new Map<string, Activity>();
  readonly #maxSessions: number;

  /** `maxSessions`: most sessions tracked at once (default 100 000). */
  constructor(options: { maxSessions?: number } = {}) {
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  }

  /** Never fails; synchronous under the hood, so concurrent callers never interleave. */
  async snapshot(sessionId: string, tool: string, now: number): Promise<ActivitySnapshot> {
    const activity = this.#sessions.get(sessionId);
    if (activity === undefined) return { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 };
    expire(activity, now);
    return {
      callCount: activity.calls,
      toolCallCount: activity.perTool.get(tool) ?? 0,
      recordsReadLast10m: activity.readTotal,
    };
  }

  /** Fails only as recordCall; nothing runs between the count and the read. */
  async countCall(sessionId: string, tool: string, at: number): Promise<ActivitySnapshot> {
    await this.recordCall(sessionId, tool, at);
    return this.snapshot(sessionId, tool, at);
  }

  /** Fails only for a new session when the store is full of active ones (ERR_STATE_UNAVAILABLE). */
  async recordCall(sessionId: string, tool: string, at: number): Promise<void> {
    const activity = this.#get(sessionId, at);
    activity.calls += 1;
    activity.perTool.set(tool, (activity.perTool.get(tool) ?? 0) + 1);
  }

  /** Nothing to wait for: the activity lives (and dies) with the process. */
  async durable(): Promise<void> {}

  /** Fails only as recordCall. */
  async recordRead(sessionId: string, count: number, at: number): Promise<void> {
    if (count <= 0) return;
    const activity = this.#get(sessionId, at);
    expire(activity, at);
    const reads = activity.reads;
    const last = reads.length > activity.head ? reads[reads.length - 1] : undefined;
    const stamp = Math.max(at, last?.at ?? -Infinity);
    if (last !== undefined && last.at === stamp) last.count += count;
    else reads.push({ at: stamp, count });
    activity.readTotal += count;
  }

  #get(sessionId: string, now: number): Activity {
    let activity = this.#sessions.get(sessionId);
    if (activity === undefined) {
      if (this.#sessions.size >= this.#maxSessions) this.#evict(now);
      activity = { calls: 0, perTool: new Map(), reads: [], floor: 0, head: 0, readTotal: 0, highWater: now, lastSeen: now };
      this.#sessions.set(sessionId, activity);
    }
    activity.lastSeen = now;
    return activity;
  }

  #evict(now: number): void {
    for (const [id, activity] of this.#sessions) {
      if (now - activity.lastSeen > IDLE_EVICT_MS) this.#sessions.delete(id);
    }
    // Still full: forgetting an active session's counters would let it start again from zero.
    if (this.#sessions.size >= this.#maxSessions) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'session activity is full of active sessions', { status: 503 });
    }
  }
}

/**
 * Moves the window to `now`: reads at or before `now - window` leave it, reads that left it and
 * are inside it again (the clock stepped back) come back; reads older than the grace behind the
 * latest time seen are dropped for good.
 */
function expire(activity: Activity, now: number): void {
  const reads = activity.reads;
  const since = now - READ_WINDOW_MS;
  let head = activity.head;
  while (head < reads.length && (reads[head] as { at: number }).at <= since) {
    activity.readTotal -= (reads[head] as { count: number }).count;
    head++;
  }
  while (head > activity.floor && (reads[head - 1] as { at: number }).at > since) {
    head--;
    activity.readTotal += (reads[head] as { count: number }).count;
  }
  activity.highWater = Math.max(activity.highWater, now);
  const gone = activity.highWater - READ_WINDOW_MS - STEP_BACK_GRACE_MS;
  let floor = activity.floor;
  while (floor < head && (reads[floor] as { at: number }).at <= gone) floor++;
  if (floor === reads.length) {
    reads.length = 0;
    floor = 0;
    head = 0;
  } else if (floor > 1024 && floor * 2 > reads.length) {
    reads.splice(0, floor);
    head -= floor;
    floor = 0;
  }
  activity.floor = floor;
  activity.head = head;
}
