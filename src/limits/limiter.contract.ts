/**
 * The semantics every RateLimiter shares (exact sliding windows, independent keys, tool
 * scope, no charge on refusal, the longest refusal reported), run against each adapter
 * with a manual clock: windows are logical, nothing sleeps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import type { RateLimiter } from '../core/types.ts';
import type { LimitsConfig } from '../config/types.ts';

export type MakeLimiter = (config: LimitsConfig, clock: ManualClock, options?: { toolScope?: 'tenant' | 'global' }) => Promise<RateLimiter>;

export const limitCall = (user = 'alice', extra: Partial<{ tenant: string; tool: string; session: string | null }> = {}) => ({
  user,
  tenant: extra.tenant ?? 'acme',
  tool: extra.tool ?? 'crm.get',
  session: extra.session === undefined ? null : extra.session,
});

const T0 = 1_700_000_000_000;

export function runRateLimiterContract(name: string, make: MakeLimiter, options: { propertyRuns?: number } = {}): void {
  const call = limitCall;

  test(`${name}: allows exactly max calls per window and frees each slot exactly one window after its call`, async () => {
    const clock = new ManualClock(T0);
    const limiter = await make({ perUser: { windowSeconds: 10, max: 3 } }, clock);
    assert.equal((await limiter.take(call())).allowed, true);
    clock.advance(4000);
    assert.equal((await limiter.take(call())).allowed, true);
    assert.equal((await limiter.take(call())).allowed, true);
    assert.deepEqual(await limiter.take(call()), { allowed: false, limit: 'user', retryAfterMs: 6000 });
    clock.set(T0 + 9999);
    assert.deepEqual(await limiter.take(call()), { allowed: false, limit: 'user', retryAfterMs: 1 });
    clock.set(T0 + 10_000); // the first call leaves the window exactly one window later
    assert.equal((await limiter.take(call())).allowed, true);
    assert.deepEqual(await limiter.take(call()), { allowed: false, limit: 'user', retryAfterMs: 4000 });
    clock.set(T0 + 14_000);
    assert.equal((await limiter.take(call())).allowed, true);
    assert.equal((await limiter.take(call())).allowed, true);
    assert.equal((await limiter.take(call())).allowed, false);
  });

  test(`${name}: keeps users, tenants, tools and sessions independent`, async () => {
    const clock = new ManualClock(T0);
    const limiter = await make({ perUser: { windowSeconds: 60, max: 1 }, perSession: { windowSeconds: 60, max: 1 } }, clock);
    assert.equal((await limiter.take(call('alice'))).allowed, true);
    assert.equal((await limiter.take(call('alice'))).allowed, false);
    assert.equal((await limiter.take(call('bob'))).allowed, true);
    assert.equal((await limiter.take(call('alice', { tenant: 'globex' }))).allowed, true);
    assert.equal((await limiter.take({ user: 'b', tenant: 'a/', tool: 't', session: null })).allowed, true);
    assert.equal((await limiter.take({ user: '/b', tenant: 'a', tool: 't', session: null })).allowed, true);
    assert.equal((await limiter.take(call('carol', { session: 'ses_1' }))).allowed, true);
    assert.equal((await limiter.take(call('dave', { session: 'ses_1' }))).limit, 'session');
    assert.equal((await limiter.take(call('dave', { session: 'ses_2' }))).allowed, true);
  });

  test(`${name}: scopes tool budgets per tenant by default, or globally on request`, async () => {
    const clock = new ManualClock(T0);
    const perTenant = await make({ perTool: { windowSeconds: 60, max: 1 } }, clock);
    assert.equal((await perTenant.take(call('a', { tool: 'x' }))).allowed, true);
    assert.equal((await perTenant.take(call('b', { tool: 'x' }))).limit, 'tool');
    assert.equal((await perTenant.take(call('c', { tool: 'y' }))).allowed, true);
    assert.equal((await perTenant.take(call('a', { tool: 'x', tenant: 'globex' }))).allowed, true);
    const global = await make({ perTool: { windowSeconds: 60, max: 1 } }, clock, { toolScope: 'global' });
    assert.equal((await global.take(call('a', { tool: 'x' }))).allowed, true);
    assert.equal((await global.take(call('a', { tool: 'x', tenant: 'globex' }))).allowed, false);
  });

  test(`${name}: does not charge any key for a refused call`, async () => {
    const clock = new ManualClock(T0);
    const limiter = await make({ perUser: { windowSeconds: 60, max: 1 }, perTenant: { windowSeconds: 60, max: 3 } }, clock);
    assert.equal((await limiter.take(call('alice'))).allowed, true);
    for (let i = 0; i < 10; i++) assert.equal((await limiter.take(call('alice'))).allowed, false);
    assert.equal((await limiter.take(call('bob'))).allowed, true);
    assert.equal((await limiter.take(call('carol'))).allowed, true);
    assert.deepEqual(await limiter.take(call('dave')), { allowed: false, limit: 'tenant', retryAfterMs: 60_000 });
  });

  test(`${name}: reports the limit that refuses longest and its wait`, async () => {
    const clock = new ManualClock(T0);
    const limiter = await make({ perUser: { windowSeconds: 10, max: 1 }, perTenant: { windowSeconds: 100, max: 2 } }, clock);
    await limiter.take(call('alice'));
    clock.advance(5000);
    await limiter.take(call('bob'));
    assert.deepEqual(await limiter.take(call('bob')), { allowed: false, limit: 'tenant', retryAfterMs: 95_000 });
  });

  test(`${name}: a clock stepping back and forward again never frees a slot still inside the window`, async () => {
    const clock = new ManualClock(T0);
    const limiter = await make({ perUser: { windowSeconds: 10, max: 3 } }, clock);
    assert.equal((await limiter.take(call())).allowed, true);
    assert.equal((await limiter.take(call())).allowed, true);
    clock.set(T0 - 20_000); // the clock steps back
    let allowed = 0;
    for (let i = 0; i < 3; i++) if ((await limiter.take(call())).allowed) allowed++;
    assert.ok(allowed <= 1, `at most max calls while stepped back (${allowed} more allowed)`);
    clock.set(T0 + 1); // and is corrected: the two calls made at T0 are inside (T0 + 1 - 10 s, T0 + 1]
    allowed = 0;
    for (let i = 0; i < 5; i++) if ((await limiter.take(call())).allowed) allowed++;
    assert.ok(allowed <= 1, `the two calls of the window still count (${allowed} allowed, at most 1)`);
  });

  test(`${name}: property: matches a reference count of calls in (t - window, t]`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.constantFrom('a', 'b')), { maxLength: 60 }),
        async (max, windowSeconds, steps) => {
          const clock = new ManualClock(T0);
          const limiter = await make({ perUser: { windowSeconds, max } }, clock);
          const accepted: Record<string, number[]> = { a: [], b: [] };
          for (const [gap, user] of steps) {
            clock.advance(gap);
            const now = clock.now();
            const inWindow = (accepted[user] as number[]).filter((t) => t > now - windowSeconds * 1000);
            const verdict = await limiter.take(call(user));
            assert.equal(verdict.allowed, inWindow.length < max);
            if (verdict.allowed) (accepted[user] as number[]).push(now);
            else assert.equal(verdict.retryAfterMs, (inWindow[0] as number) + windowSeconds * 1000 - now);
          }
        },
      ),
      { numRuns: options.propertyRuns ?? 100 },
    );
  });
}
