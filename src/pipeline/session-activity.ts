/**
 * Per-session activity counters that policy sees: calls decided, calls per tool, and
 * records read in a sliding ten-minute window. Kept in memory by the gateway process;
 * bounded (idle sessions are evicted after an hour).
 *
 * The read window is a queue in time order with a running total: a snapshot drops what
 * left the window from the front, so it costs nothing per read still inside it (a busy
 * session reads thousands of records in ten minutes). Reads in the same millisecond share
 * one entry. Should the clock step back, a read is stamped no earlier than the one before
 * it: it then stays in the window a little longer, never shorter; and reads that left the
 * window are kept for STEP_BACK_GRACE_MS more, so a clock stepping back by up to that much
 * counts them again (the budget errs strict). Only older reads are dropped for good.
 */
import type { Clock } from '../core/clock.ts';

const READ_WINDOW_MS = 10 * 60 * 1000;
/** How far back the clock may step while the window still counts every read it would have. */
export const STEP_BACK_GRACE_MS = 5 * 60 * 1000;
const IDLE_EVICT_MS = 60 * 60 * 1000;
const MAX_SESSIONS = 100_000;

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
  /** The latest time the clock has shown this session. */
  highWater: number;
  /** Sum of `count` over the live entries. */
  readTotal: number;
  lastSeen: number;
}

export class SessionActivity {
  readonly #clock: Clock;
  readonly #sessions = new Map<string, Activity>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  snapshot(sessionId: string, tool: string): { callCount: number; toolCallCount: number; recordsReadLast10m: number } {
    const activity = this.#sessions.get(sessionId);
    if (activity === undefined) return { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 };
    expire(activity, this.#clock.now());
    return {
      callCount: activity.calls,
      toolCallCount: activity.perTool.get(tool) ?? 0,
      recordsReadLast10m: activity.readTotal,
    };
  }

  recordCall(sessionId: string, tool: string): void {
    const activity = this.#get(sessionId);
    activity.calls += 1;
    activity.perTool.set(tool, (activity.perTool.get(tool) ?? 0) + 1);
  }

  recordRead(sessionId: string, count: number): void {
    if (count <= 0) return;
    const activity = this.#get(sessionId);
    const now = this.#clock.now();
    expire(activity, now);
    const reads = activity.reads;
    const last = reads.length > activity.head ? reads[reads.length - 1] : undefined;
    const at = Math.max(now, last?.at ?? -Infinity);
    if (last !== undefined && last.at === at) last.count += count;
    else reads.push({ at, count });
    activity.readTotal += count;
  }

  #get(sessionId: string): Activity {
    const now = this.#clock.now();
    let activity = this.#sessions.get(sessionId);
    if (activity === undefined) {
      if (this.#sessions.size >= MAX_SESSIONS) this.#evict(now);
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
    // Still full: drop the oldest entries (Map iteration is insertion order).
    for (const id of this.#sessions.keys()) {
      if (this.#sessions.size < MAX_SESSIONS) break;
      this.#sessions.delete(id);
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
