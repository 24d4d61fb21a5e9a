import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runIdempotencyStoreContract, sampleRecord } from '../../idempotency/store.contract.ts';
import type { PostgresDatabase } from './database.ts';
import { PostgresIdempotencyStore } from './idempotency.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

// One schema for the file; each contract test starts from an empty table, on pools of its own.
runIdempotencyStoreContract(
  'postgres',
  async () => {
    await pg.db.query('TRUNCATE idempotency_records');
    const pools: PostgresDatabase[] = [];
    const connect = () => {
      const db = pg.open();
      pools.push(db);
      return new PostgresIdempotencyStore(db);
    };
    const closeAll = async () => {
      for (const db of pools.splice(0)) await db.close();
    };
    return { store: connect(), another: async () => connect(), restart: async () => (await closeAll(), connect()), close: closeAll };
  },
  { propertyRuns: 25 },
);

test('postgres: a closed or unreachable database refuses (503) and claims nothing', async () => {
  const closed = pg.open();
  await closed.close();
  const record = sampleRecord();
  await assert.rejects(new PostgresIdempotencyStore(closed).claim(record), (error: { code?: string; status?: number }) => error.status === 503 || error.code === 'ERR_STORE_CLOSED');
  const nowhere = pg.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  await assert.rejects(new PostgresIdempotencyStore(nowhere).find(record.scope), { status: 503 });
});
