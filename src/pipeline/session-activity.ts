/**
 * Per-session activity counters that policy sees: calls decided, calls per tool, and
 * records read in a sliding ten-minute window. Kept in memory by the gateway process;
 * bounded (idle sessions are evicted after an hour).
 */
import type { Clock } from '../core/clock.ts';

const READ_WINDOW_MS = 10 * 60 * 1000;
const IDLE_EVICT_MS = 60 * 60 * 1000;
const MAX_SESSIONS = 100_000;

interface Activity {
  calls: number;
  perTool: Map<string, number>;
  reads: Array<{ at: number; count: number }>;
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
    const since = this.#clock.now() - READ_WINDOW_MS;
    activity.reads = activity.reads.filter((r) => r.at > since);
    return {
      callCount: activity.calls,
      toolCallCount: activity.perTool.get(tool) ?? 0,
      recordsReadLast10m: activity.reads.reduce((sum, r) => sum + r.count, 0),
    };
  }

  recordCall(sessionId: string, tool: string): void {
    const activity = this.#get(sessionId);
    activity.calls += 1;
    activity.perTool.set(tool, (activity.perTool.get(tool) ?? 0) + 1);
  }

  recordRead(sessionId: string, count: number): void {
    if (count <= 0) return;
    this.#get(sessionId).reads.push({ at: this.#clock.now(), count });
  }

  #get(sessionId: string): Activity {
    const now = this.#clock.now();
    let activity = this.#sessions.get(sessionId);
    if (activity === undefined) {
      if (this.#sessions.size >= MAX_SESSIONS) this.#evict(now);
      activity = { calls: 0, perTool: new Map(), reads: [], lastSeen: now };
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
