import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runProvenanceStoreContract } from '../../provenance/store.contract.ts';
import { PostgresProvenanceStore } from './provenance.ts';
import { testPostgres } from './test-support.ts';

runProvenanceStoreContract(
  'postgres',
  async () => {
    const pg = await testPostgres();
    return { store: new PostgresProvenanceStore(pg.db), another: async () => new PostgresProvenanceStore(pg.open()), close: () => pg.drop() };
  },
  { numRuns: 40 },
);

test('postgres: a malformed row reads as ERR_PROVENANCE_CORRUPT; a closed pool rejects (never an empty log)', async () => {
  const pg = await testPostgres();
  try {
    const store = new PostgresProvenanceStore(pg.db);
    await store.append('ses_x', { contentId: 'cnt_1', text: 'hello', tier: 'external' });
    await pg.db.query(`UPDATE provenance_log SET registration = '[1]'`);
    await assert.rejects(store.since('ses_x', 0), { code: 'ERR_PROVENANCE_CORRUPT' });
    const other = pg.open();
    const closed = new PostgresProvenanceStore(other);
    await other.close();
    await assert.rejects(closed.since('ses_x', 0), { code: 'ERR_STORE_CLOSED' });
    await assert.rejects(closed.append('ses_x', { contentId: 'cnt_2', text: 'x', tier: 'external' }), { code: 'ERR_STORE_CLOSED' });
  } finally {
    await pg.drop();
  }
});
