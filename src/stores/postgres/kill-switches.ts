/**
 * Kill switches in PostgreSQL, shared by every replica of a fleet, and their change feed.
 * - Every engage and release is one transaction: the row change, the bump of the one-row
 *   change version (its row lock orders concurrent changes), and `pg_notify` on the
 *   schema's channel. A notice is delivered only when the transaction commits, so a
 *   listener never hears of a change it cannot read; a rolled-back change is never heard.
 * - `active()` reads the version and the engaged rows in one statement (one snapshot).
 * - The feed LISTENs on a dedicated connection (outside the pool). A lost connection is
 *   reported through `onDown`; the monitor polls the version meanwhile and re-subscribes.
 */
import type pg from 'pg';
import { AirlockError } from '../../core/errors.ts';
import type { ActiveKillSwitches, KillSwitch, KillSwitchFeed, KillSwitchRelease, KillSwitchStore } from '../../killswitch/index.ts';
import type { PostgresDatabase } from './database.ts';
import { sqlState, storeFault } from './database.ts';

interface Row extends Record<string, unknown> {
  body: KillSwitch;
  released_at: string | null;
}

/** The NOTIFY channel of a schema's kill switches (a channel name is at most 63 bytes). */
export function killSwitchChannel(schema: string): string {
  return `airlock_ks_${schema}`.slice(0, 63);
}

export class PostgresKillSwitchStore implements KillSwitchStore {
  readonly #db: PostgresDatabase;
  readonly #channel: string;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#channel = killSwitchChannel(db.schema);
  }

  /** Insert + version bump + notice in one transaction; a duplicate id (23505) is refused and leaves nothing. */
  async engage(killSwitch: KillSwitch): Promise<number> {
    if (killSwitch.released_at !== undefined) throw new AirlockError('ERR_KILLSWITCH_STORE', 'a kill switch is recorded engaged', { status: 500 });
    try {
      return await this.#db.transaction(async (tx) => {
        await tx.query('INSERT INTO kill_switches (id, scope, target, tenant, engaged_at, released_at, body) VALUES ($1, $2, $3, $4, $5, NULL, $6)', [
          killSwitch.id,
          killSwitch.scope,
          killSwitch.target,
          killSwitch.tenant,
          killSwitch.engaged_at,
          JSON.stringify(killSwitch),
        ]);
        return this.#bump(tx);
      });
    } catch (error) {
      if (sqlState(error) === '23505') throw new AirlockError('ERR_KILLSWITCH_EXISTS', 'a kill switch with this id exists', { status: 409, cause: error });
      throw error;
    }
  }

  /** Conditional UPDATE (`released_at IS NULL`) + version bump + notice, in one transaction; null when nothing matched. */
  async release(id: string, release: KillSwitchRelease): Promise<KillSwitch | null> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query<Row>(
        'UPDATE kill_switches SET released_at = $1, body = body || $2::jsonb WHERE id = $3 AND released_at IS NULL RETURNING body, released_at',
        [release.released_at, JSON.stringify(release), id],
      );
      const row = rows[0];
      if (row === undefined) return null;
      await this.#bump(tx);
      return fromRow(row);
    });
  }

  async get(id: string): Promise<KillSwitch | null> {
    const rows = await this.#db.query<Row>('SELECT body, released_at FROM kill_switches WHERE id = $1', [id]);
    return rows[0] === undefined ? null : fromRow(rows[0]);
  }

  /** One statement, so the version and the rows come from one snapshot. */
  async active(): Promise<ActiveKillSwitches> {
    const rows = await this.#db.query<{ version: string; body: KillSwitch | null; released_at: string | null }>(
      `SELECT v.version::text AS version, k.body, k.released_at
         FROM kill_switch_version v LEFT JOIN kill_switches k ON k.released_at IS NULL
        WHERE v.one = 1 ORDER BY k.engaged_at, k.id`,
    );
    const first = rows[0];
    if (first === undefined) throw new AirlockError('ERR_STORE_MIGRATION_MISSING', 'the kill switch version row is missing', { status: 503 });
    return {
      version: Number(first.version),
      switches: rows.filter((r): r is Row & { version: string } => r.body !== null).map(fromRow),
    };
  }

  async list(): Promise<KillSwitch[]> {
    return (await this.#db.query<Row>('SELECT body, released_at FROM kill_switches ORDER BY engaged_at, id')).map(fromRow);
  }

  async version(): Promise<number> {
    const rows = await this.#db.query<{ version: string }>('SELECT version::text AS version FROM kill_switch_version WHERE one = 1');
    if (rows[0] === undefined) throw new AirlockError('ERR_STORE_MIGRATION_MISSING', 'the kill switch version row is missing', { status: 503 });
    return Number(rows[0].version);
  }

  async #bump(tx: { query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]> }): Promise<number> {
    const rows = await tx.query<{ version: string }>('UPDATE kill_switch_version SET version = version + 1 WHERE one = 1 RETURNING version::text AS version');
    const version = rows[0]?.version;
    if (version === undefined) throw new AirlockError('ERR_STORE_MIGRATION_MISSING', 'the kill switch version row is missing', { status: 503 });
    // Queued with the transaction: delivered to listeners only if it commits.
    await tx.query('SELECT pg_notify($1, $2)', [this.#channel, version]);
    return Number(version);
  }
}

/** LISTEN on the schema's channel over a dedicated connection. */
export class PostgresKillSwitchFeed implements KillSwitchFeed {
  readonly #db: PostgresDatabase;
  readonly #channel: string;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#channel = killSwitchChannel(db.schema);
  }

  get channel(): string {
    return this.#channel;
  }

  async subscribe(handlers: { onChange(version: number | null): void; onDown(error: unknown): void }): Promise<{ close(): Promise<void> }> {
    const client: pg.Client = await this.#db.dedicatedClient();
    let closed = false;
    const down = (error: unknown) => {
      if (closed) return;
      closed = true;
      handlers.onDown(error);
    };
    client.on('notification', (message) => {
      if (message.channel !== this.#channel) return;
      const version = Number(message.payload);
      handlers.onChange(Number.isSafeInteger(version) ? version : null);
    });
    client.on('error', down);
    client.on('end', () => down(new Error('the kill switch listener connection ended')));
    try {
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      closed = true;
      // Not awaited: a server that left the LISTEN unanswered may never acknowledge the end either.
      void client.end().catch(() => undefined);
      throw storeFault(error, 'the kill switch change feed cannot listen');
    }
    return {
      close: async () => {
        closed = true;
        await client.end().catch(() => undefined);
      },
    };
  }
}

function fromRow(row: { body: KillSwitch; released_at: string | null }): KillSwitch {
  const s = { ...row.body };
  delete s.released_at;
  if (row.released_at !== null) s.released_at = Number(row.released_at);
  return s;
}
