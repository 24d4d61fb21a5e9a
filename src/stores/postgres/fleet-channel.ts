/**
 * The fleet channel on PostgreSQL: NOTIFY on a channel of the schema, LISTEN on a dedicated
 * connection that is re-established (every second) when it drops. Used for policy reload
 * announcements; see core/fleet.ts for what it does and does not promise.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { FleetChannel, FleetMessage } from '../../core/fleet.ts';
import { parseFleetMessage } from '../../core/fleet.ts';
import type { PostgresDatabase } from './database.ts';

const RECONNECT_MS = 1_000;
/**
 * How often the listening connection is asked a trivial query. A connection that died without
 * a word (a half-open TCP connection: the server or a middlebox went away) hears nothing and
 * reports nothing; TCP keepalive would notice only after about two hours. The query fails
 * within the pool's query bound and the channel connects again.
 */
export const HEARTBEAT_MS = 15_000;

const CHANNEL_PREFIX = 'airlock_fleet_';
/** PostgreSQL keeps identifiers to 63 bytes: `pg_notify` refuses a longer channel and LISTEN cuts it. */
const MAX_CHANNEL_BYTES = 63;

/**
 * The schema's channel: `airlock_fleet_<schema>`, or, when that exceeds 63 bytes, the schema's
 * head and a digest of the whole name (so two long schema names never share a channel).
 */
export function fleetChannelName(schema: string): string {
  const plain = `${CHANNEL_PREFIX}${schema}`;
  if (Buffer.byteLength(plain) <= MAX_CHANNEL_BYTES) return plain;
  const digest = createHash('sha256').update(schema).digest('hex').slice(0, 12);
  // Schema names are ASCII (database.ts), so characters are bytes.
  return `${CHANNEL_PREFIX}${schema.slice(0, MAX_CHANNEL_BYTES - CHANNEL_PREFIX.length - digest.length - 1)}_${digest}`;
}

export class PostgresFleetChannel implements FleetChannel {
  readonly #db: PostgresDatabase;
  readonly #channel: string;

  readonly #heartbeatMs: number;

  constructor(db: PostgresDatabase, options: { heartbeatMs?: number } = {}) {
    this.#db = db;
    this.#channel = fleetChannelName(db.schema);
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  async announce(message: FleetMessage): Promise<void> {
    await this.#db.query('SELECT pg_notify($1, $2)', [this.#channel, JSON.stringify(message)]);
  }

  async subscribe(onMessage: (message: FleetMessage) => void, onFault: (error: unknown) => void = () => undefined): Promise<{ close(): Promise<void> }> {
    let closed = false;
    let client: pg.Client | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const connect = async (): Promise<void> => {
      if (closed) return;
      let c: pg.Client | null = null;
      try {
        c = await this.#db.dedicatedClient();
        c.on('notification', (n) => {
          if (n.channel !== this.#channel) return;
          const message = parseFleetMessage(n.payload);
          if (message !== null) onMessage(message);
        });
        const lost = (error: unknown) => {
          if (client !== c) return;
          client = null;
          if (!closed) {
            onFault(error);
            schedule();
          }
        };
        c.on('error', lost);
        c.on('end', () => lost(new Error('the fleet channel connection ended')));
        await c.query(`LISTEN "${this.#channel}"`);
        if (closed) {
          await c.end().catch(() => undefined);
          return;
        }
        client = c;
        const listening = c;
        const beat = setInterval(() => {
          if (client !== listening) {
            clearInterval(beat);
            return;
          }
          listening.query('SELECT 1').catch((error: unknown) => {
            clearInterval(beat);
            // Not awaited: a server that stopped answering may never acknowledge the end either.
            void listening.end().catch(() => undefined);
            lost(error);
          });
        }, this.#heartbeatMs);
        beat.unref();
      } catch (error) {
        // A connection whose LISTEN failed (or went unanswered) is given up, not kept open;
        // not awaited: a server that stopped answering may never acknowledge the end either.
        void c?.end().catch(() => undefined);
        onFault(error);
        schedule();
      }
    };
    const schedule = () => {
      if (closed || retry !== null) return;
      retry = setTimeout(() => {
        retry = null;
        void connect();
      }, RECONNECT_MS);
      retry.unref();
    };
    await connect();
    return {
      close: async () => {
        closed = true;
        if (retry !== null) clearTimeout(retry);
        const c = client;
        client = null;
        await c?.end().catch(() => undefined);
      },
    };
  }
}
