import { after, before } from 'node:test';
import { shipCursorContract } from '../../audit/ship/cursors.contract.ts';
import type { PostgresDatabase } from './database.ts';
import { PostgresShipCursorStore } from './ship-cursors.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

shipCursorContract('postgres', true, async () => {
  await pg.db.query('TRUNCATE audit_ship_cursors');
  const pools: PostgresDatabase[] = [];
  const connect = () => {
    const db = pg.open();
    pools.push(db);
    return new PostgresShipCursorStore(db);
  };
  return {
    store: connect(),
    reopen: async () => connect(),
    close: async () => {
      for (const db of pools.splice(0)) await db.close();
    },
  };
});
