/** Deleting a fleet test's Redis keys (its prefix) when it ends. */
import { openRedis, redisReady } from '../../src/stores/redis/connection.ts';
import { TEST_REDIS_URL } from '../../src/stores/redis/test-support.ts';

export async function testRedisCleanup(prefix: string): Promise<void> {
  const raw = openRedis({ url: TEST_REDIS_URL, keyPrefix: '' });
  try {
    await redisReady(raw);
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== '0');
  } finally {
    raw.disconnect();
  }
}
