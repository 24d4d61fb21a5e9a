/**
 * Redis connections for the fleet: global limits and the change feed. Owns the driver
 * (`ioredis`) and the bounds on every wait: a command that gets no answer within
 * `commandTimeoutMs` fails (never queues forever), so a Redis that is down or slow refuses
 * calls within a bounded time (`ERR_STORE_UNAVAILABLE`, 503); the client reconnects by
 * itself when Redis comes back.
 */
import { Redis } from 'ioredis';
import { AirlockError } from '../../core/errors.ts';

export interface RedisOptions {
  /** `redis://host:port/db`. */
  url: string;
  /** Prefix of every key this gateway writes (several fleets may share one Redis); default `airlock:`. */
  keyPrefix?: string;
  /** Longest wait for one command, ms; default 1,000. */
  commandTimeoutMs?: number;
  /** Longest wait to connect, ms; default 2,000. */
  connectTimeoutMs?: number;
}

export function openRedis(options: RedisOptions): Redis {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix ?? 'airlock:',
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    // Fail a command at once while disconnected instead of queueing it (fail closed, bounded).
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1_000),
    lazyConnect: false,
  });
  // Connection errors are reported through failed commands; an unhandled 'error' would crash the process.
  client.on('error', () => undefined);
  return client;
}

export function redisUnavailable(cause: unknown): AirlockError {
  return new AirlockError('ERR_STORE_UNAVAILABLE', 'the redis store did not answer', { status: 503, cause });
}

/** Resolves when the client is connected (or rejects after `timeoutMs`). */
export async function redisReady(client: Redis, timeoutMs = 3_000): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(redisUnavailable(new Error(`redis not ready after ${timeoutMs} ms (status ${client.status})`)));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}
