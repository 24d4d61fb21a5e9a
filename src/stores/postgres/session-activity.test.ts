import { runSessionActivityStoreContract } from '../../sessions/activity.contract.ts';
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
