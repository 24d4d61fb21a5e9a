/**
 * Per-session activity counters that policy sees: calls decided, calls per tool, and
 * records read in a sliding ten-minute window. Kept in memory by the gateway process;
 * bounded (idle sessions are evicted after an hour).
 *
 * The read window is a queue in time order with a running total: a snapshot drops what
 * left the window from the front, so it costs nothing per read still inside it (a busy
 * session reads thousands of records in ten minutes). Reads in the same millisecond share
 * one entry. Should the clock step back, a read is stamped no earlier than the one before
 * it: it then stays in the window a little longer, never shorter (the budget errs strict).
 */
import type { Clock } from '../core/clock.ts';

const READ_WINDOW_MS = 10 * 60 * 1000;
const IDLE_EVICT_MS = 60 * 60 * 1000;
const MAX_SESSIONS = 100_000;

interface Activity {
  calls: number;
  perTool: Map<string, number>;
  /** Reads in the window, oldest first (`at` never decreases); `head` is the first live entry. */
  reads: Array<{ at: number; count: number }>;
  head: number;
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
    expire(activity, this.#clock.now() - READ_WINDOW_MS);
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
    expire(activity, now - READ_WINDOW_MS);
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
      activity = { calls: 0, perTool: new Map(), reads: [], head: 0, readTotal: 0, lastSeen: now };
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

/** Drops reads at or before `since` from the front of the window. */
function expire(activity: Activity, since: number): void {
  const reads = activity.reads;
  let head = activity.head;
  while (head < reads.length && (reads[head] as { at: number }).at <= since) {
    activity.readTotal -= (reads[head] as { count: number }).count;
    head++;
  }
  if (head === reads.length) {
    reads.length = 0;
    head = 0;
  } else if (head > 1024 && head * 2 > reads.length) {
    reads.splice(0, head);
    head = 0;
  }
  activity.head = head;
}
