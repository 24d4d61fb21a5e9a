/**
 * For tests: a PostgreSQL database of this machine in a schema of its own (created,
 * migrated, dropped at the end), so tests run side by side without seeing each other's
 * rows. PostgreSQL is required: when it does not answer, the test fails loudly with how
 * to point it at one (AIRLOCK_TEST_POSTGRES_URL); it is never skipped.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after } from 'node:test';
import pg from 'pg';
import { PostgresDatabase, type PostgresOptions } from './database.ts';
import { migrate } from './migrate.ts';

export const TEST_POSTGRES_URL = process.env.AIRLOCK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  db: PostgresDatabase;
  url: string;
  schema: string;
  /** Another pool on the same schema (a second replica, or a second connection set). */
  open(options?: Partial<PostgresOptions>): PostgresDatabase;
  /** Drops the schema and closes every pool opened here. */
  drop(): Promise<void>;
}

async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is required for this test and did not answer at ${url} (${(error as Error).message}). ` +
        'Start it, or set AIRLOCK_TEST_POSTGRES_URL to a database this test may create schemas in.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function testPostgres(options: { migrate?: boolean } = {}): Promise<TestPostgres> {
  await assertReachable(TEST_POSTGRES_URL);
  const schema = `airlock_t_${randomBytes(6).toString('hex')}`;
  const pools: PostgresDatabase[] = [];
  const open = (extra: Partial<PostgresOptions> = {}) => {
    const db = PostgresDatabase.open({ url: TEST_POSTGRES_URL, schema, poolSize: 4, ...extra });
    pools.push(db);
    return db;
  };
  const db = open();
  if (options.migrate !== false) await migrate(db);
  else await db.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  return {
    db,
    url: TEST_POSTGRES_URL,
    schema,
    open,
    async drop() {
      for (const p of pools) await p.close().catch(() => undefined);
      await dropTestSchema(schema);
    },
  };
}

/**
 * For a test file: `freshSchema()` gives a new migrated schema each call, and every schema it
 * gave is dropped when the file's tests are done.
 */
export function schemasDroppedAfter(): () => Promise<TestPostgres> {
  const schemas: TestPostgres[] = [];
  after(async () => {
    for (const pg of schemas) await pg.drop();
  });
  return async () => {
    const pg = await testPostgres();
    schemas.push(pg);
    return pg;
  };
}

/** Drops a test schema by name (for fixtures that made it through their own config). */
export async function dropTestSchema(schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await admin.end();
  }
}

/**
 * For tests: a TCP proxy to the test PostgreSQL whose connections go deaf the moment a client
 * sends a statement containing `needle` (while `armed`): that statement and everything after it
 * on that connection are swallowed, the socket stays open. A server that accepted a connection
 * and then stopped answering, as seen by the client.
 */
export async function deafeningProxy(needle: string): Promise<{ url: string; armed: boolean; deafened: number; close(): Promise<void> }> {
  const upstream = new URL(TEST_POSTGRES_URL);
  const sockets = new Set<net.Socket>();
  const state = {
    url: '',
    armed: true,
    deafened: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((client) => {
    const db = net.connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(client).add(db);
    let deaf = false;
    client.on('data', (chunk) => {
      if (!deaf && state.armed && chunk.includes(needle)) {
        deaf = true;
        state.deafened++;
      }
      if (!deaf) db.write(chunk);
    });
    db.on('data', (chunk) => {
      if (!deaf) client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      db.destroy();
    };
    client.on('error', drop).on('close', drop);
    db.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(TEST_POSTGRES_URL);
  url.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  state.url = url.toString();
  return state;
}
