import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProvenanceStoreContract } from '../../provenance/store.contract.ts';
import { SqliteProvenanceStore } from './provenance.ts';
import { testSqlite } from './test-support.ts';

runProvenanceStoreContract('sqlite', async () => {
  const sqlite = testSqlite();
  return {
    store: new SqliteProvenanceStore(sqlite.db),
    another: async () => new SqliteProvenanceStore(sqlite.open()),
    close: async () => sqlite.close(),
  };
});

test('sqlite: a malformed row reads as ERR_PROVENANCE_CORRUPT, never as less content', async () => {
  const sqlite = testSqlite();
  try {
    const store = new SqliteProvenanceStore(sqlite.db);
    await store.append('ses_x', { contentId: 'cnt_1', text: 'hello', tier: 'external' });
    sqlite.db.prepare("UPDATE provenance_log SET registration = '{\"text\": 1}'").run();
    await assert.rejects(store.since('ses_x', 0), { code: 'ERR_PROVENANCE_CORRUPT' });
  } finally {
    sqlite.close();
  }
});

test('sqlite: a closed database rejects appends and reads (ERR_STATE_UNAVAILABLE)', async () => {
  const sqlite = testSqlite();
  const store = new SqliteProvenanceStore(sqlite.db);
  sqlite.close();
  await assert.rejects(store.append('ses_x', { contentId: 'cnt_1', text: 'hello', tier: 'external' }), { code: 'ERR_STATE_UNAVAILABLE' });
  await assert.rejects(store.since('ses_x', 0), { code: 'ERR_STATE_UNAVAILABLE' });
});
