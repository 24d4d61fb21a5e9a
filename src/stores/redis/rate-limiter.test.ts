/**
 * RedisRateLimiter: the limiter contract shared with the memory limiter; two limiters on
 * two connections (two replicas) admit at most the limit per window under concurrency,
 * across 30 logical windows, with all-or-none charging; Redis unreachable or silent ->
 * ERR_LIMITS_UNAVAILABLE within the bound.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ManualClock } from '../../core/clock.ts';
import { limitCall, runRateLimiterContract } from '../../limits/limiter.contract.ts';
import { openRedis, redisReady } from './connection.ts';
import { RedisRateLimiter } from './rate-limiter.ts';
import type { TestRedis } from './test-support.ts';
import { testRedis } from './test-support.ts';

const prefixes: TestRedis[] = [];
after(async () => {
  for (const r of prefixes) await r.drop();
});

async function fresh(): Promise<TestRedis> {
  const r = await testRedis();
  prefixes.push(r);
  return r;
}

// One prefix for the contract; every limiter gets a namespace of its own.
let contractRedis: TestRedis | undefined;
let namespaces = 0;
runRateLimiterContract(
  'redis',
  async (config, clock, options) => {
    contractRedis ??= await fresh();
    return new RedisRateLimiter(contractRedis.client, config, clock, { ...options, namespace: `c${namespaces++}:` });
  },
  { propertyRuns: 40 },
);

describe('RedisRateLimiter across replicas', () => {
  test("on Redis's clock, a replica whose own clock runs an hour ahead cannot trim the others' calls out of the window", async () => {
    const r = await fresh();
    const config = { perUser: { windowSeconds: 60, max: 4 } };
    const second = r.open();
    await redisReady(second);
    // The replicas' own clocks disagree by an hour; the limiter on Redis's clock ignores them.
    const behind = new RedisRateLimiter(r.client, config, 'redis', { namespace: 'skew:' });
    const ahead = new RedisRateLimiter(second, config, 'redis', { namespace: 'skew:' });
    const verdicts = [];
    for (let i = 0; i < 6; i++) verdicts.push(await (i % 2 === 0 ? behind : ahead).take(limitCall('u1')));
    assert.deepEqual(verdicts.map((v) => v.allowed), [true, true, true, true, false, false]);
    const refused = verdicts[4];
    assert.ok(refused !== undefined && !refused.allowed && (refused.retryAfterMs ?? 0) > 0 && (refused.retryAfterMs ?? Infinity) <= 60_000);
    // The same two replicas on their own skewed clocks: the one ahead trims the window and admits past the limit.
    const skewed = [new RedisRateLimiter(r.client, config, new ManualClock(1_700_000_000_000), { namespace: 'own:' }), new RedisRateLimiter(second, config, new ManualClock(1_700_003_600_000), { namespace: 'own:' })];
    let admitted = 0;
    for (let i = 0; i < 6; i++) if ((await (skewed[i % 2] as RedisRateLimiter).take(limitCall('u1'))).allowed) admitted++;
    assert.ok(admitted > 4, 'without one clock the limit does not hold (what the server clock prevents)');
  });

  test('two replicas admit exactly the limit per window under concurrency, over 30 logical windows, charging all keys or none', async () => {
    const r = await fresh();
    const clock = new ManualClock(1_700_000_000_000);
    const config = { perUser: { windowSeconds: 10, max: 5 }, perTenant: { windowSeconds: 10, max: 8 } };
    const second = r.open();
    await redisReady(second);
    const replicas = [new RedisRateLimiter(r.client, config, clock), new RedisRateLimiter(second, config, clock)];
    const users = ['u1', 'u2', 'u3'];
    for (let window = 0; window < 30; window++) {
      // Windows are logical: exactly one window later, every earlier call has left.
      clock.set(1_700_000_000_000 + window * 10_000);
      const calls = Array.from({ length: 30 }, (_, i) => ({ replica: replicas[i % 2] as RedisRateLimiter, user: users[i % 3] as string }));
      const verdicts = await Promise.all(calls.map((c) => c.replica.take(limitCall(c.user))));
      const admitted = calls.filter((_, i) => verdicts[i]?.allowed === true);
      assert.equal(admitted.length, 8, `window ${window}: the tenant limit admits exactly 8`);
      for (const user of users) {
        const mine = admitted.filter((c) => c.user === user).length;
        assert.ok(mine <= 5, `window ${window}: ${user} admitted ${mine} > 5`);
        // All or none: the user's log holds exactly the user's admitted calls.
        assert.equal(await r.client.zcard(`rl:user:${JSON.stringify(['acme', user])}`), mine, `window ${window}: ${user} charges`);
      }
      assert.equal(await r.client.zcard(`rl:tenant:${JSON.stringify(['acme'])}`), 8, `window ${window}: tenant charges`);
      for (const v of verdicts) if (!v.allowed) assert.ok(v.limit === 'tenant' || v.limit === 'user');
    }
  });

  test('redis unreachable: take rejects with ERR_LIMITS_UNAVAILABLE at once (the limit phase refuses: src/pipeline/phases/limit.test.ts)', async () => {
    const client = openRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    try {
      const limiter = new RedisRateLimiter(client, { perUser: { windowSeconds: 10, max: 5 } }, new ManualClock(0));
      await assert.rejects(limiter.take(limitCall()), { code: 'ERR_LIMITS_UNAVAILABLE' });
    } finally {
      client.disconnect();
    }
  });

  test('redis connected but silent: the call is refused after the bound, not hung', async () => {
    // A server that accepts connections and never answers.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const client = openRedis({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 5_000, commandTimeoutMs: 5_000 });
    try {
      const limiter = new RedisRateLimiter(client, { perUser: { windowSeconds: 10, max: 5 } }, new ManualClock(0), { timeoutMs: 200 });
      await assert.rejects(limiter.take(limitCall()), { code: 'ERR_LIMITS_UNAVAILABLE' });
    } finally {
      client.disconnect();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
