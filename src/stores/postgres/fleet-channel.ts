/**
 * The fleet channel on PostgreSQL: NOTIFY on a channel of the schema, LISTEN on a dedicated
 * connection that is re-established (every second) when it drops. Used for policy reload
 * announcements; see core/fleet.ts for what it does and does not promise.
 */
import type pg from 'pg';
import type { FleetChannel, FleetMessage } from '../../core/fleet.ts';
import { parseFleetMessage } from '../../core/fleet.ts';
import type { PostgresDatabase } from './database.ts';

const RECONNECT_MS = 1_000;

export function fleetChannelName(schema: string): string {
  return `airlock_fleet_${schema}`;
}

export class PostgresFleetChannel implements FleetChannel {
  readonly #db: PostgresDatabase;
  readonly #channel: string;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#channel = fleetChannelName(db.schema);
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
      try {
        const c = await this.#db.dedicatedClient();
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
      } catch (error) {
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
