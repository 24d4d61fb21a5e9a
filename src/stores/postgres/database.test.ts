import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresDatabase, assertDurableState, sqlState } from './database.ts';
import { assertMigrated, migrate, type Migration } from './migrate.ts';
import { testPostgres } from './test-support.ts';

test('migrations apply once, in order, under concurrent starters; a changed migration is refused', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    const ms: Migration[] = [
      { id: '0002_b', description: 'b', sql: 'CREATE TABLE b (x int REFERENCES a (x))' },
      { id: '0001_a', description: 'a', sql: 'CREATE TABLE a (x int PRIMARY KEY)' },
    ];
    const reports = await Promise.all([pg.open(), pg.open(), pg.open()].map((db) => migrate(db, ms)));
    const applied = reports.flatMap((r) => r.applied);
    assert.deepEqual(applied, ['0001_a', '0002_b'], 'each migration applied by exactly one starter, in id order');
    await assert.rejects(migrate(pg.db, [{ ...ms[1]!, sql: 'CREATE TABLE a (y int)' }, ms[0]!]), { code: 'ERR_STORE_MIGRATION_MISMATCH' });
    await assert.rejects(migrate(pg.db, [ms[1]!]), { code: 'ERR_STORE_MIGRATION_UNKNOWN' });
    // A failing migration leaves nothing behind.
    await assert.rejects(migrate(pg.db, [...ms, { id: '0003_bad', description: 'bad', sql: 'CREATE TABLE c (x int); SELECT no_such_fn()' }]));
    const tables = await pg.db.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'c'", [pg.schema]);
    assert.equal(tables[0]?.n, '0');
  } finally {
    await pg.drop();
  }
});

test('a transaction commits on success and rolls back on throw; constraint errors keep their SQLSTATE', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    await pg.db.query('CREATE TABLE t (k text PRIMARY KEY)');
    await pg.db.transaction(async (tx) => void (await tx.query("INSERT INTO t VALUES ('a')")));
    await assert.rejects(
      pg.db.transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ('b')");
        throw new Error('body failed');
      }),
      /body failed/,
    );
    const err = await pg.db.query("INSERT INTO t VALUES ('a')").catch((e: unknown) => e);
    assert.equal(sqlState(err), '23505');
    assert.deepEqual((await pg.db.query<{ k: string }>('SELECT k FROM t ORDER BY k')).map((r) => r.k), ['a']);
  } finally {
    await pg.drop();
  }
});

test('an unreachable server is ERR_STORE_UNAVAILABLE within the connect bound, never a hang', async () => {
  const db = PostgresDatabase.open({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
  try {
    await assert.rejects(db.query('SELECT 1'), { code: 'ERR_STORE_UNAVAILABLE' });
    await assert.rejects(db.transaction(async () => 1), { code: 'ERR_STORE_UNAVAILABLE' });
    assert.equal(await db.ping(), false);
  } finally {
    await db.close();
  }
  await assert.rejects(db.query('SELECT 1'), { code: 'ERR_STORE_CLOSED' });
});

test('a statement over the timeout is refused as ERR_STORE_UNAVAILABLE', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    const slow = pg.open({ statementTimeoutMs: 200 });
    await assert.rejects(slow.query('SELECT pg_sleep(2)'), { code: 'ERR_STORE_UNAVAILABLE' });
    assert.equal(await slow.ping(), true, 'the pool recovers after the timeout');
  } finally {
    await pg.drop();
  }
});

test('an invalid schema name is refused before any connection', () => {
  assert.throws(() => PostgresDatabase.open({ url: 'postgres://x@127.0.0.1/none', schema: 'a; DROP TABLE x' }), { code: 'ERR_CONFIG_INVALID' });
});

test('without migrating at start, a schema behind or ahead of the code is refused', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    const ms: Migration[] = [{ id: '0001_a', description: 'a', sql: 'CREATE TABLE a (x int)' }];
    await assert.rejects(assertMigrated(pg.db, ms), { code: 'ERR_STORE_MIGRATION_PENDING' });
    await migrate(pg.db, ms);
    await assertMigrated(pg.db, ms);
    await assert.rejects(assertMigrated(pg.db, [...ms, { id: '0002_b', description: 'b', sql: 'SELECT 1' }]), { code: 'ERR_STORE_MIGRATION_PENDING' });
    await assert.rejects(assertMigrated(pg.db, []), { code: 'ERR_STORE_MIGRATION_UNKNOWN' });
  } finally {
    await pg.drop();
  }
});

test('a state database whose commits are acknowledged before they are flushed is refused', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    await assertDurableState(pg.db);
    // One connection: the setting stays on the connection the check reads.
    const lax = pg.open({ poolSize: 1 });
    await lax.query('SET synchronous_commit = off');
    await assert.rejects(assertDurableState(lax), { code: 'ERR_STORE_DURABILITY' });
    await lax.query('SET synchronous_commit = on');
    await assertDurableState(lax);
  } finally {
    await pg.drop();
  }
});
