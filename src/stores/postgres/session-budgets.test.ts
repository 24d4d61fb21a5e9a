import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSessionBudgetStoreContract } from '../../budgets/store.contract.ts';
import type { PostgresDatabase } from './database.ts';
import { PostgresSessionBudgetStore } from './session-budgets.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

runSessionBudgetStoreContract(
  'postgres',
  async () => {
    const pools: PostgresDatabase[] = [];
    const connect = () => {
      const db = pg.open();
      pools.push(db);
      return new PostgresSessionBudgetStore(db);
    };
    const closeAll = async () => {
      for (const db of pools.splice(0)) await db.close();
    };
    return { store: connect(), another: async () => connect(), restart: async () => (await closeAll(), connect()), close: closeAll };
  },
  { propertyRuns: 20 },
);

test('postgres: an unreachable database refuses (503)', async () => {
  const nowhere = pg.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  await assert.rejects(new PostgresSessionBudgetStore(nowhere).totals('ses_x'), { status: 503 });
});
