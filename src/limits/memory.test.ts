/** MemoryRateLimiter: the shared limiter contract, plus eviction and capacity (its own bounded memory). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import { MemoryRateLimiter } from './memory.ts';
import { runRateLimiterContract } from './limiter.contract.ts';

// The semantics every RateLimiter shares (the Redis limiter runs the same contract).
runRateLimiterContract('memory', async (config, clock, options) => new MemoryRateLimiter(config, clock, options));

const call = (user = 'alice', extra: Partial<{ tenant: string; tool: string; session: string | null }> = {}) => ({
  user,
  tenant: extra.tenant ?? 'acme',
  tool: extra.tool ?? 'crm.get',
  session: extra.session === undefined ? null : extra.session,
});

describe('MemoryRateLimiter', () => {
  it('allows exactly max calls per window and frees each slot exactly one window after its call', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter({ perUser: { windowSeconds: 10, max: 3 } }, clock);
    assert.equal(limiter.takeNow(call()).allowed, true); // t=0
    clock.advance(4000);
    assert.equal(limiter.takeNow(call()).allowed, true); // t=4000
    assert.equal(limiter.takeNow(call()).allowed, true); // t=4000
    assert.deepEqual(limiter.takeNow(call()), { allowed: false, limit: 'user', retryAfterMs: 6000 });
    clock.set(9999);
    assert.deepEqual(limiter.takeNow(call()), { allowed: false, limit: 'user', retryAfterMs: 1 });
    clock.set(10_000); // the t=0 call leaves the window at exactly t=10000
    assert.equal(limiter.takeNow(call()).allowed, true);
    assert.deepEqual(limiter.takeNow(call()), { allowed: false, limit: 'user', retryAfterMs: 4000 });
    clock.set(14_000); // both t=4000 calls leave
    assert.equal(limiter.takeNow(call()).allowed, true);
    assert.equal(limiter.takeNow(call()).allowed, true);
    assert.equal(limiter.takeNow(call()).allowed, false);
  });

  it('keeps users, tenants, tools and sessions independent', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter(
      { perUser: { windowSeconds: 60, max: 1 }, perSession: { windowSeconds: 60, max: 1 } },
      clock,
    );
    assert.equal(limiter.takeNow(call('alice')).allowed, true);
    assert.equal(limiter.takeNow(call('alice')).allowed, false);
    assert.equal(limiter.takeNow(call('bob')).allowed, true);
    // Same user name in another tenant is another user.
    assert.equal(limiter.takeNow(call('alice', { tenant: 'globex' })).allowed, true);
    // Separator tricks do not merge keys.
    assert.equal(limiter.takeNow({ user: 'b', tenant: 'a/', tool: 't', session: null }).allowed, true);
    assert.equal(limiter.takeNow({ user: '/b', tenant: 'a', tool: 't', session: null }).allowed, true);
    assert.equal(limiter.takeNow(call('carol', { session: 'ses_1' })).allowed, true);
    assert.deepEqual(limiter.takeNow(call('dave', { session: 'ses_1' })).limit, 'session');
    assert.equal(limiter.takeNow(call('dave', { session: 'ses_2' })).allowed, true);
  });

  it('scopes tool budgets per tenant by default, or globally on request', () => {
    const clock = new ManualClock(0);
    const perTenant = new MemoryRateLimiter({ perTool: { windowSeconds: 60, max: 1 } }, clock);
    assert.equal(perTenant.takeNow(call('a', { tool: 'x' })).allowed, true);
    assert.equal(perTenant.takeNow(call('b', { tool: 'x' })).limit, 'tool');
    assert.equal(perTenant.takeNow(call('c', { tool: 'y' })).allowed, true);
    assert.equal(perTenant.takeNow(call('a', { tool: 'x', tenant: 'globex' })).allowed, true);
    const global = new MemoryRateLimiter({ perTool: { windowSeconds: 60, max: 1 } }, clock, { toolScope: 'global' });
    assert.equal(global.takeNow(call('a', { tool: 'x' })).allowed, true);
    assert.equal(global.takeNow(call('a', { tool: 'x', tenant: 'globex' })).allowed, false);
  });

  it('does not charge any key for a refused call', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter(
      { perUser: { windowSeconds: 60, max: 1 }, perTenant: { windowSeconds: 60, max: 3 } },
      clock,
    );
    assert.equal(limiter.takeNow(call('alice')).allowed, true); // tenant 1/3
    for (let i = 0; i < 10; i++) assert.equal(limiter.takeNow(call('alice')).allowed, false); // refused by user: no tenant charge
    assert.equal(limiter.takeNow(call('bob')).allowed, true); // tenant 2/3
    assert.equal(limiter.takeNow(call('carol')).allowed, true); // tenant 3/3
    assert.deepEqual(limiter.takeNow(call('dave')), { allowed: false, limit: 'tenant', retryAfterMs: 60_000 });
  });

  it('reports the limit that refuses longest and its wait', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter(
      { perUser: { windowSeconds: 10, max: 1 }, perTenant: { windowSeconds: 100, max: 2 } },
      clock,
    );
    limiter.takeNow(call('alice'));
    clock.advance(5000);
    limiter.takeNow(call('bob'));
    assert.deepEqual(limiter.takeNow(call('bob')), { allowed: false, limit: 'tenant', retryAfterMs: 95_000 });
  });

  it('evicts idle keys and refuses new keys when full of active ones', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter({ perUser: { windowSeconds: 10, max: 5 } }, clock, { maxKeys: 3 });
    for (const user of ['a', 'b', 'c']) assert.equal(limiter.takeNow(call(user)).allowed, true);
    assert.deepEqual(limiter.keyCounts(), { user: 3 });
    clock.advance(3000);
    assert.deepEqual(limiter.takeNow(call('d')), { allowed: false, limit: 'capacity', retryAfterMs: 7000 });
    assert.equal(limiter.takeNow(call('a')).allowed, true); // existing keys keep working (a is now newest)
    clock.set(10_000); // b and c have been idle for a whole window; a has not
    assert.equal(limiter.takeNow(call('d')).allowed, true);
    assert.deepEqual(limiter.keyCounts(), { user: 2 });
    clock.set(100_000);
    assert.equal(limiter.takeNow(call('e')).allowed, true);
    assert.deepEqual(limiter.keyCounts(), { user: 1 });
  });

  it('keeps memory bounded under many keys', () => {
    const clock = new ManualClock(0);
    const limiter = new MemoryRateLimiter({ perSession: { windowSeconds: 1, max: 2 } }, clock, { maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) {
      clock.advance(1);
      limiter.takeNow(call('u', { session: `ses_${i}` }));
    }
    assert.ok((limiter.keyCounts().session ?? 0) <= 1000);
  });

  it('refuses invalid rules', () => {
    const clock = new ManualClock(0);
    assert.throws(() => new MemoryRateLimiter({ perUser: { windowSeconds: 0, max: 1 } }, clock), { code: 'ERR_LIMITS_CONFIG' });
    assert.throws(() => new MemoryRateLimiter({ perUser: { windowSeconds: 1, max: 0 } }, clock), { code: 'ERR_LIMITS_CONFIG' });
    assert.throws(() => new MemoryRateLimiter({ perUser: { windowSeconds: 1, max: 1.5 } }, clock), { code: 'ERR_LIMITS_CONFIG' });
    assert.throws(() => new MemoryRateLimiter({}, clock, { maxKeys: 0 }), { code: 'ERR_LIMITS_CONFIG' });
  });

  it('property: matches a reference count of calls in (t - window, t]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.constantFrom('a', 'b')), { maxLength: 200 }),
        (max, windowSeconds, steps) => {
          const clock = new ManualClock(0);
          const limiter = new MemoryRateLimiter({ perUser: { windowSeconds, max } }, clock);
          const accepted: Record<string, number[]> = { a: [], b: [] };
          for (const [gap, user] of steps) {
            clock.advance(gap);
            const now = clock.now();
            const inWindow = (accepted[user] as number[]).filter((t) => t > now - windowSeconds * 1000);
            const expected = inWindow.length < max;
            const verdict = limiter.takeNow(call(user));
            assert.equal(verdict.allowed, expected);
            if (verdict.allowed) (accepted[user] as number[]).push(now);
            else assert.equal(verdict.retryAfterMs, (inWindow[0] as number) + windowSeconds * 1000 - now);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
