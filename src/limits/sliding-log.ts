/**
 * A sliding-window log for one key: the timestamps of the calls counted in the current
 * window, in a ring buffer that grows on demand up to the rule's `max` (so memory per key
 * is bounded by the limit itself and idle keys cost nothing once evicted). Times never
 * decrease: a call is stamped no earlier than the newest call of the log, so should the
 * clock step back the log stays in time order (pruning from the front and `newest()` stay
 * right) and the call stays counted a little longer, never shorter.
 */
const INITIAL_CAPACITY = 4;

export class SlidingLog {
  #buf: Float64Array;
  #start = 0;
  #count = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
    this.#buf = new Float64Array(Math.min(max, INITIAL_CAPACITY));
  }

  get count(): number {
    return this.#count;
  }

  /** Oldest counted timestamp (only meaningful when count > 0). */
  oldest(): number {
    return this.#buf[this.#start] as number;
  }

  /** Newest counted timestamp (only meaningful when count > 0). */
  newest(): number {
    return this.#buf[(this.#start + this.#count - 1) % this.#buf.length] as number;
  }

  /** Drops every timestamp at or before `cutoff` (they left the window). */
  prune(cutoff: number): void {
    while (this.#count > 0 && (this.#buf[this.#start] as number) <= cutoff) {
      this.#start = (this.#start + 1) % this.#buf.length;
      this.#count--;
    }
    if (this.#count === 0) this.#start = 0;
  }

  /** Counts one call at `at` (or at the newest call's time, if later). The caller has checked `count < max`. */
  push(at: number): void {
    const stamp = this.#count > 0 ? Math.max(at, this.newest()) : at;
    if (this.#count === this.#buf.length) this.#grow();
    this.#buf[(this.#start + this.#count) % this.#buf.length] = stamp;
    this.#count++;
  }

  #grow(): void {
    const next = new Float64Array(Math.min(this.#max, Math.max(1, this.#buf.length * 2)));
    for (let i = 0; i < this.#count; i++) next[i] = this.#buf[(this.#start + i) % this.#buf.length] as number;
    this.#buf = next;
    this.#start = 0;
  }
}
