/** limit phase: a rate limiter whose store does not answer refuses the call (limit.unavailable); an over-limit call is limit.rate. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.ts';
import { MemoryRateLimiter } from '../../limits/index.ts';
import { openRedis } from '../../stores/redis/connection.ts';
import { RedisRateLimiter } from '../../stores/redis/rate-limiter.ts';
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { limit } from './limit.ts';

const newCall = () =>
  ({
    principal: { user: 'alice', tenant: 'acme', roles: [], issuer: 'https://idp.example', delegation: [] },
    tool: { name: 'crm.get' },
    request: { tool: 'crm.get' },
  }) as unknown as CallState;

test('redis unreachable: the call is refused with limit.unavailable (fail closed)', async () => {
  const client = openRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
  try {
    const limiter = new RedisRateLimiter(client, { perUser: { windowSeconds: 10, max: 5 } }, new ManualClock(0));
    const call = newCall();
    await limit(call, { limiter } as unknown as PipelineEnv);
    assert.equal(call.stop?.outcome, 'deny');
    assert.equal(call.stop?.code, 'limit.unavailable');
  } finally {
    client.disconnect();
  }
});

test('over the limit: limit.rate; under it: no stop', async () => {
  const limiter = new MemoryRateLimiter({ perUser: { windowSeconds: 10, max: 1 } }, new ManualClock(0));
  const first = newCall();
  await limit(first, { limiter } as unknown as PipelineEnv);
  assert.equal(first.stop, undefined);
  const second = newCall();
  await limit(second, { limiter } as unknown as PipelineEnv);
  assert.equal(second.stop?.code, 'limit.rate');
});
