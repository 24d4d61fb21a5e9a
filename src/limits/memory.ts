/**
 * MemoryRateLimiter: exact sliding-window limits (a log of call times per key, not a
 * token bucket) per user, per tool, per tenant and per session, each optional.
 *
 * - A call made at time t counts against every window that contains t; it is allowed
 *   when each configured key has fewer than `max` calls in (t - window, t]. A call exactly
 *   one window after an earlier one no longer sees it.
 * - A clock that steps back never frees a slot early: a call is stamped no earlier than its
 *   key's newest call (sliding-log.ts), so keys are never evicted while a call is in the window.
 * - All keys are checked before any is charged: a refused call consumes no budget.
 * - `retryAfterMs` is the wait until every refusing key has room again; `limit` names
 *   the key that refuses longest (`user`, `session`, `tool`, `tenant`, or `capacity`).
 * - Keys: user = (tenant, user); tenant; tool = (tenant, tool) by default, so one tenant
 *   cannot spend another's tool budget (`toolScope: 'global'` for one budget per tool);
 *   session = (tenant, session), skipped when the call has no session.
 * - Bounded memory: a key's log holds at most `max` times; keys idle for a whole window
 *   are evicted (oldest first, amortized on every call); at most `maxKeys` per limit. When
 *   a limit is full of active keys, calls needing a new key are refused (`capacity`):
 *   failing closed rather than forgetting the budget of an active key.
 */
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import type { RateLimiter, RateLimitVerdict } from '../core/types.ts';
import type { LimitsConfig, RateLimitRule } from '../config/types.ts';
import { SlidingLog } from './sliding-log.ts';

export interface MemoryRateLimiterOptions {
  /** Most keys tracked per limit. Default 100 000. */
  maxKeys?: number;
  /** Per-tool budget per tenant (default) or one global budget per tool. */
  toolScope?: 'tenant' | 'global';
}

export type LimitName = 'user' | 'session' | 'tool' | 'tenant';
type CallKeys = Parameters<RateLimiter['take']>[0];

/**
 * The budget key of one limit for a call (every adapter counts under the same keys): user and
 * session ids are unique only inside a tenant; a tool's budget is per tenant unless
 * `toolScope` is 'global'. Null when the limit does not apply (no session).
 */
export function limitKey(limit: LimitName, keys: CallKeys, toolScope: 'tenant' | 'global'): string | null {
  switch (limit) {
    case 'user':
      return JSON.stringify([keys.tenant, keys.user]);
    case 'session':
      return keys.session === null ? null : JSON.stringify([keys.tenant, keys.session]);
    case 'tool':
      return toolScope === 'global' ? JSON.stringify([keys.tool]) : JSON.stringify([keys.tenant, keys.tool]);
    case 'tenant':
      return JSON.stringify([keys.tenant]);
  }
}

const DEFAULT_MAX_KEYS = 100_000;

type Check = { ok: true } | { ok: false; limit: string; retryAfterMs: number };

class Limit {
  readonly name: LimitName;
  readonly #windowMs: number;
  readonly #max: number;
  readonly #maxKeys: number;
  /** Insertion order = order of the last charge, so idle keys gather at the front. */
  readonly #logs = new Map<string, SlidingLog>();

  constructor(name: LimitName, rule: RateLimitRule, maxKeys: number) {
    if (!Number.isFinite(rule.windowSeconds) || rule.windowSeconds <= 0) {
      throw new AirlockError('ERR_LIMITS_CONFIG', `${name} limit window must be a positive number of seconds`, { status: 500 });
    }
    if (!Number.isSafeInteger(rule.max) || rule.max < 1) {
      throw new AirlockError('ERR_LIMITS_CONFIG', `${name} limit max must be a positive integer`, { status: 500 });
    }
    this.name = name;
    this.#windowMs = rule.windowSeconds * 1000;
    this.#max = rule.max;
    this.#maxKeys = maxKeys;
  }

  get size(): number {
    return this.#logs.size;
  }

  #evictIdle(now: number): void {
    const cutoff = now - this.#windowMs;
    for (const [key, log] of this.#logs) {
      if (log.count > 0 && log.newest() > cutoff) break;
      this.#logs.delete(key);
    }
  }

  check(key: string, now: number): Check {
    this.#evictIdle(now);
    const log = this.#logs.get(key);
    if (log === undefined) {
      if (this.#logs.size < this.#maxKeys) return { ok: true };
      const front = this.#logs.values().next().value as SlidingLog;
      return { ok: false, limit: 'capacity', retryAfterMs: Math.max(1, Math.ceil(front.newest() + this.#windowMs - now)) };
    }
    log.prune(now - this.#windowMs);
    if (log.count < this.#max) return { ok: true };
    return { ok: false, limit: this.name, retryAfterMs: Math.max(1, Math.ceil(log.oldest() + this.#windowMs - now)) };
  }

  charge(key: string, now: number): void {
    const log = this.#logs.get(key) ?? new SlidingLog(this.#max);
    log.push(now);
    this.#logs.delete(key);
    this.#logs.set(key, log);
  }
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #clock: Clock;
  readonly #limits: Limit[] = [];
  readonly #toolScope: 'tenant' | 'global';

  constructor(config: LimitsConfig, clock: Clock, options: MemoryRateLimiterOptions = {}) {
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new AirlockError('ERR_LIMITS_CONFIG', 'maxKeys must be a positive integer', { status: 500 });
    }
    this.#clock = clock;
    this.#toolScope = options.toolScope ?? 'tenant';
    // Order matters only for ties in reporting which limit refused.
    if (config.perUser) this.#limits.push(new Limit('user', config.perUser, maxKeys));
    if (config.perSession) this.#limits.push(new Limit('session', config.perSession, maxKeys));
    if (config.perTool) this.#limits.push(new Limit('tool', config.perTool, maxKeys));
    if (config.perTenant) this.#limits.push(new Limit('tenant', config.perTenant, maxKeys));
  }

  /** Checks and charges in one synchronous step (no other call interleaves in this process). */
  async take(keys: CallKeys): Promise<RateLimitVerdict> {
    return this.takeNow(keys);
  }

  /** `take` without the promise (same process, same step). */
  takeNow(keys: CallKeys): RateLimitVerdict {
    const now = this.#clock.now();
    const charges: Array<[Limit, string]> = [];
    let refusal: { limit: string; retryAfterMs: number } | null = null;
    for (const limit of this.#limits) {
      const key = limitKey(limit.name, keys, this.#toolScope);
      if (key === null) continue;
      const check = limit.check(key, now);
      if (check.ok) charges.push([limit, key]);
      else if (refusal === null || check.retryAfterMs > refusal.retryAfterMs) refusal = check;
    }
    if (refusal !== null) return { allowed: false, limit: refusal.limit, retryAfterMs: refusal.retryAfterMs };
    for (const [limit, key] of charges) limit.charge(key, now);
    return { allowed: true };
  }

  /** Keys currently tracked per limit (for metrics and tests). */
  keyCounts(): Partial<Record<LimitName, number>> {
    return Object.fromEntries(this.#limits.map((limit) => [limit.name, limit.size]));
  }
}
