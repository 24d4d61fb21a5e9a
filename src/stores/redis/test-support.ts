/**
 * For tests: the Redis of this machine under a key prefix of its own (deleted at the
 * end). Redis is required: when it does not answer, the test fails loudly with how to
 * point it at one (AIRLOCK_TEST_REDIS_URL); it is never skipped.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { openRedis, redisReady, type RedisOptions } from './connection.ts';

export const TEST_REDIS_URL = process.env.AIRLOCK_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

export interface TestRedis {
  client: Redis;
  url: string;
  keyPrefix: string;
  open(options?: Partial<RedisOptions>): Redis;
  drop(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const keyPrefix = `airlock_t_${randomBytes(6).toString('hex')}:`;
  const clients: Redis[] = [];
  const open = (extra: Partial<RedisOptions> = {}) => {
    const c = openRedis({ url: TEST_REDIS_URL, keyPrefix, ...extra });
    clients.push(c);
    return c;
  };
  const client = open();
  try {
    await redisReady(client, 3_000);
  } catch (error) {
    client.disconnect();
    throw new Error(
      `Redis is required for this test and did not answer at ${TEST_REDIS_URL}. Start it, or set AIRLOCK_TEST_REDIS_URL.`,
      { cause: error },
    );
  }
  return {
    client,
    url: TEST_REDIS_URL,
    keyPrefix,
    open,
    async drop() {
      // keyPrefix is not applied to SCAN patterns: match on the full prefix.
      const raw = openRedis({ url: TEST_REDIS_URL, keyPrefix: '' });
      await redisReady(raw);
      let cursor = '0';
      do {
        const [next, keys] = await raw.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await raw.del(...keys);
      } while (cursor !== '0');
      raw.disconnect();
      for (const c of clients) c.disconnect();
    },
  };
}
