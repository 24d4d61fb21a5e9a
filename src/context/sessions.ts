/**
 * Per-session context state kept by the gateway process: the hash of the session's latest
 * context manifest (attached to every later decision of the session) and the abuse
 * signals (rejected or injection-flagged chunks) of the alert window. Bounded: the least
 * recently used sessions are forgotten beyond `maxSessions`.
 */
import type { Clock } from '../core/clock.ts';

export const DEFAULT_MAX_CONTEXT_SESSIONS = 100_000;

interface State {
  manifestHash?: string;
  /** Times (ms) of abuse signals inside the window, oldest first. */
  signals: number[];
  /** When the last alert was raised. */
  alertedAt?: number;
}

export interface AlertCheck {
  /** True when this assembly crossed the threshold (at most one alert per window). */
  alert: boolean;
  /** Signals inside the window, this assembly's included. */
  count: number;
}

export class ContextSessions {
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #threshold: number;
  readonly #max: number;
  readonly #states = new Map<string, State>();

  constructor(clock: Clock, alerts: { windowSeconds: number; threshold: number }, maxSessions = DEFAULT_MAX_CONTEXT_SESSIONS) {
    this.#clock = clock;
    this.#windowMs = alerts.windowSeconds * 1000;
    this.#threshold = alerts.threshold;
    this.#max = maxSessions;
  }

  manifestHash(sessionId: string): string | undefined {
    return this.#states.get(sessionId)?.manifestHash;
  }

  /** Records an assembly: its manifest becomes the session's latest; its signals count toward an alert. */
  record(sessionId: string, manifestHash: string, signals: number): AlertCheck {
    const check = this.countSignals(sessionId, signals);
    this.setManifest(sessionId, manifestHash);
    return check;
  }

  /** Makes `manifestHash` the session's latest manifest (once it is on the record). */
  setManifest(sessionId: string, manifestHash: string): void {
    this.#touch(sessionId).manifestHash = manifestHash;
  }

  /** Counts an assembly's abuse signals; says whether they raise an alert now. */
  countSignals(sessionId: string, signals: number): AlertCheck {
    const now = this.#clock.now();
    const state = this.#touch(sessionId);
    const since = now - this.#windowMs;
    state.signals = state.signals.filter((t) => t > since);
    for (let i = 0; i < signals; i++) state.signals.push(now);
    const count = state.signals.length;
    const alert = signals > 0 && count >= this.#threshold && (state.alertedAt === undefined || state.alertedAt <= since);
    if (alert) state.alertedAt = now;
    return { alert, count };
  }

  #touch(sessionId: string): State {
    let state = this.#states.get(sessionId);
    if (state !== undefined) this.#states.delete(sessionId);
    else {
      state = { signals: [] };
      while (this.#states.size >= this.#max) {
        const oldest = this.#states.keys().next();
        if (oldest.done === true) break;
        this.#states.delete(oldest.value);
      }
    }
    this.#states.set(sessionId, state);
    return state;
  }
}
