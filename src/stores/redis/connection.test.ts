import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openRedis, redisReady } from './connection.ts';
import { testRedis } from './test-support.ts';

test('keys written under the test prefix are isolated and dropped', async () => {
  const r = await testRedis();
  try {
    await r.client.set('k', 'v');
    assert.equal(await r.client.get('k'), 'v');
    const other = await testRedis();
    assert.equal(await other.client.get('k'), null, 'another prefix does not see the key');
    await other.drop();
  } finally {
    await r.drop();
  }
});

test('an unreachable redis fails commands at once (no offline queue), not after a hang', async () => {
  const client = openRedis({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
  try {
    await assert.rejects(redisReady(client, 500), { code: 'ERR_STORE_UNAVAILABLE' });
    await assert.rejects(client.get('k'));
  } finally {
    client.disconnect();
  }
});
