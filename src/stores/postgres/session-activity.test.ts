import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READ_WINDOW_MS } from '../../sessions/activity.ts';
import { runSessionActivityStoreContract } from '../../sessions/activity.contract.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';
import { PostgresSessionActivityStore } from './session-activity.ts';
import { testPostgres } from './test-support.ts';

runSessionActivityStoreContract(
  'postgres',
  async () => {
    const pg = await testPostgres();
    return { store: new PostgresSessionActivityStore(pg.db), another: async () => new PostgresSessionActivityStore(pg.open()), close: () => pg.drop() };
  },
  { numRuns: 100, maxSteps: 120, shared: true },
);

test('postgres: reads written before the window total existed (migration 0013) are counted after it', async () => {
  const pg = await testPostgres({ migrate: false });
  try {
    const before = MIGRATIONS.findIndex((m) => m.id === '0013_activity_read_total');
    assert.ok(before > 0);
    await migrate(pg.db, MIGRATIONS.slice(0, before));
    const old = new PostgresSessionActivityStore(pg.db);
    const now = 1_700_000_000_000;
    await old.recordRead('ses_old', 7, now - READ_WINDOW_MS - 1000);
    await old.recordRead('ses_old', 3, now - 60_000);
    await old.recordCall('ses_old', 't', now);
    await migrate(pg.db);
    const store = new PostgresSessionActivityStore(pg.db);
    assert.deepEqual(await store.snapshot('ses_old', 't', now), { callCount: 1, toolCallCount: 1, recordsReadLast10m: 3 });
    await store.recordRead('ses_old', 5, now + 1);
    assert.deepEqual(await store.countCall('ses_old', 't', now + 60_000), { callCount: 2, toolCallCount: 2, recordsReadLast10m: 8 });
    assert.equal((await store.snapshot('ses_old', 't', now + READ_WINDOW_MS)).recordsReadLast10m, 5);
  } finally {
    await pg.drop();
  }
});
