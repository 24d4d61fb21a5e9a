import { test } from 'node:test';
import assert from 'node:assert/strict';
import { READ_WINDOW_MS } from '../../sessions/activity.ts';
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

test('sqlite: a database written before the window columns existed gains them, and its reads are counted', async () => {
  const sqlite = testSqlite();
  try {
    const now = 1_700_000_000_000;
    sqlite.db.exec(`CREATE TABLE session_activity (session_id TEXT PRIMARY KEY, calls INTEGER NOT NULL, high_water INTEGER NOT NULL, last_seen INTEGER NOT NULL) STRICT;
      CREATE TABLE session_activity_reads (session_id TEXT NOT NULL, at INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (session_id, at)) STRICT, WITHOUT ROWID`);
    sqlite.db.prepare('INSERT INTO session_activity VALUES (?, 2, ?, ?)').run('ses_old', now, now);
    const reads = sqlite.db.prepare('INSERT INTO session_activity_reads VALUES (?, ?, ?)');
    reads.run('ses_old', now - READ_WINDOW_MS - 1000, 7); // out of the window
    reads.run('ses_old', now - 60_000, 3);
    reads.run('ses_old', now, 4);
    const store = new SqliteSessionActivityStore(sqlite.db);
    // A second store on another connection finds the columns already there.
    const another = new SqliteSessionActivityStore(sqlite.open());
    assert.deepEqual(await store.snapshot('ses_old', 't', now), { callCount: 2, toolCallCount: 0, recordsReadLast10m: 7 });
    await another.recordRead('ses_old', 5, now + 1);
    assert.deepEqual(await store.countCall('ses_old', 't', now + 60_000), { callCount: 3, toolCallCount: 1, recordsReadLast10m: 12 });
    assert.equal((await another.snapshot('ses_old', 't', now + READ_WINDOW_MS)).recordsReadLast10m, 5);
  } finally {
    sqlite.close();
  }
});
