import { runSessionActivityStoreContract } from '../../sessions/activity.contract.ts';
import { SqliteSessionActivityStore } from './session-activity.ts';
import { testSqlite } from './test-support.ts';

runSessionActivityStoreContract(
  'sqlite',
  async () => {
    const sqlite = testSqlite();
    return {
      store: new SqliteSessionActivityStore(sqlite.db),
      another: async () => new SqliteSessionActivityStore(sqlite.open()),
      close: async () => sqlite.close(),
    };
  },
  { shared: true },
);
