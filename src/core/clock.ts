/**
 * Time as a dependency. Production uses the system clock; tests inject a manual clock so
 * expiry, rate windows and skew are tested without sleeping.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  #now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
  set(ms: number): void {
    this.#now = ms;
  }
}

/** Monotonic high-resolution timer in microseconds, for latency figures. */
export function microsSince(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1000;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}
