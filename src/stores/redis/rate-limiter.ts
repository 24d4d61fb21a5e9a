/**
 * RedisRateLimiter: the fleet-wide rate limiter. Same semantics as MemoryRateLimiter (exact
 * sliding windows over a log of call times, per user / session / tool / tenant, all keys
 * checked before any is charged, the longest refusal reported), kept in Redis so every
 * replica spends one budget.
 * - One sorted set per key (score = call time in ms, member = time:nonce:index), expiring
 *   one window after its newest call.
 * - One Lua script per call checks and charges every key of the call: Redis runs a script
 *   atomically, so of any number of concurrent calls on any number of replicas, a key never
 *   holds more than `max` calls in a window, and a refused call charges no key (all or none).
 * - Time is Redis's own (`TIME`, read inside the script) when the limiter is given `'redis'`
 *   as its clock, which the gateway does on the system clock: every replica then reads one
 *   clock, and a replica whose clock runs ahead cannot trim the others' calls out of the
 *   window (a script may write after TIME since Redis 5, which replicates effects). With an
 *   injected clock (logical windows in tests), that clock's time is used.
 * - Fail closed: a script that gets no answer within `timeoutMs` (default 500 ms; the
 *   connection's own command timeout bounds it as well), or any Redis fault, rejects with
 *   ERR_LIMITS_UNAVAILABLE and the limit phase refuses the call (`limit.unavailable`). A
 *   script whose answer was lost may still have charged: the budget errs toward refusing.
 * - Keys of one call may hash to different Redis Cluster slots: run it on a single Redis
 *   (or a primary with replicas / Sentinel), not a cluster.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../core/clock.ts';
import { AirlockError } from '../../core/errors.ts';
import type { RateLimiter, RateLimitVerdict } from '../../core/types.ts';
import type { LimitsConfig, RateLimitRule } from '../../config/types.ts';
import { limitKey, type LimitName } from '../../limits/index.ts';

export interface RedisRateLimiterOptions {
  /** Per-tool budget per tenant (default) or one global budget per tool. */
  toolScope?: 'tenant' | 'global';
  /** Longest wait for the script's answer, ms (default 500). */
  timeoutMs?: number;
  /** Key namespace under the connection's prefix (default `rl:`). */
  namespace?: string;
}

type CallKeys = Parameters<RateLimiter['take']>[0];

/**
 * KEYS: one sorted set per limit of the call. ARGV: now (or `redis`: the server's time), nonce, then per key window_ms,
 * max, limit name. Returns {1} (charged every key) or {0, limit, retry_after_ms}.
 */
const TAKE_SCRIPT = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local refused_name = false
local refused_retry = -1
for i = 1, #KEYS do
  local window = tonumber(ARGV[3 * i])
  local max = tonumber(ARGV[3 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= max then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local retry = math.ceil(tonumber(oldest[2]) + window - now)
    if retry < 1 then retry = 1 end
    if retry > refused_retry then
      refused_retry = retry
      refused_name = ARGV[3 * i + 2]
    end
  end
end
if refused_name then return {0, refused_name, refused_retry} end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[2] .. ':' .. i)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[3 * i]))
end
return {1}
`;

interface Limit {
  name: LimitName;
  windowMs: number;
  max: number;
}

type ScriptRedis = Redis & { airlockRateTake(...args: Array<string | number>): Promise<[number, string?, number?]> };

function checkRule(name: LimitName, rule: RateLimitRule): Limit {
  if (!Number.isFinite(rule.windowSeconds) || rule.windowSeconds <= 0) {
    throw new AirlockError('ERR_LIMITS_CONFIG', `${name} limit window must be a positive number of seconds`, { status: 500 });
  }
  if (!Number.isSafeInteger(rule.max) || rule.max < 1) {
    throw new AirlockError('ERR_LIMITS_CONFIG', `${name} limit max must be a positive integer`, { status: 500 });
  }
  return { name, windowMs: rule.windowSeconds * 1000, max: rule.max };
}

export function limitsUnavailable(cause: unknown): AirlockError {
  return new AirlockError('ERR_LIMITS_UNAVAILABLE', 'the rate limit store did not answer', { status: 503, cause });
}

export class RedisRateLimiter implements RateLimiter {
  readonly #redis: ScriptRedis;
  readonly #clock: Clock | 'redis';
  readonly #limits: Limit[] = [];
  readonly #toolScope: 'tenant' | 'global';
  readonly #timeoutMs: number;
  readonly #namespace: string;

  /** `clock`: `'redis'` reads Redis's own time in the script (one clock for the fleet); a Clock gives logical time (tests). */
  constructor(redis: Redis, config: LimitsConfig, clock: Clock | 'redis', options: RedisRateLimiterOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 500;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new AirlockError('ERR_LIMITS_CONFIG', 'timeoutMs must be positive', { status: 500 });
    if (typeof (redis as unknown as Partial<ScriptRedis>).airlockRateTake !== 'function') redis.defineCommand('airlockRateTake', { lua: TAKE_SCRIPT });
    this.#redis = redis as unknown as ScriptRedis;
    this.#clock = clock;
    this.#toolScope = options.toolScope ?? 'tenant';
    this.#timeoutMs = timeoutMs;
    this.#namespace = options.namespace ?? 'rl:';
    // Same order as the memory limiter: it settles ties in which limit is reported.
    if (config.perUser) this.#limits.push(checkRule('user', config.perUser));
    if (config.perSession) this.#limits.push(checkRule('session', config.perSession));
    if (config.perTool) this.#limits.push(checkRule('tool', config.perTool));
    if (config.perTenant) this.#limits.push(checkRule('tenant', config.perTenant));
  }

  /** Checks and charges every key of the call in one atomic script; rejects with ERR_LIMITS_UNAVAILABLE when Redis does not answer in time. */
  async take(keys: CallKeys): Promise<RateLimitVerdict> {
    const redisKeys: string[] = [];
    const argv: Array<string | number> = [this.#clock === 'redis' ? 'redis' : this.#clock.now(), randomBytes(9).toString('base64url')];
    for (const limit of this.#limits) {
      const key = limitKey(limit.name, keys, this.#toolScope);
      if (key === null) continue;
      redisKeys.push(`${this.#namespace}${limit.name}:${key}`);
      argv.push(limit.windowMs, limit.max, limit.name);
    }
    if (redisKeys.length === 0) return { allowed: true };
    const reply = await this.#bounded(this.#redis.airlockRateTake(redisKeys.length, ...redisKeys, ...argv));
    if (reply[0] === 1) return { allowed: true };
    return { allowed: false, limit: String(reply[1]), retryAfterMs: Number(reply[2]) };
  }

  #bounded<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(limitsUnavailable(new Error(`no answer within ${this.#timeoutMs} ms`))), this.#timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(limitsUnavailable(error));
        },
      );
    });
  }
}
