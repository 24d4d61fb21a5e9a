import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runMemoryStoreContract, sampleMemory } from '../../memory/store.contract.ts';
import { PostgresMemoryStore } from './memory.ts';
import { testPostgres, type TestPostgres } from './test-support.ts';

let pg: TestPostgres;
before(async () => {
  pg = await testPostgres();
});
after(async () => {
  await pg?.drop();
});

async function emptyStore(): Promise<PostgresMemoryStore> {
  await pg.db.query('TRUNCATE memory_records, memory_terms');
  return new PostgresMemoryStore(pg.db);
}

// One schema for the file; each contract test starts from empty tables.
runMemoryStoreContract('postgres', emptyStore);

test('postgres: a record put on one replica is found and reviewed once across replicas', async () => {
  const a = await emptyStore();
  const b = new PostgresMemoryStore(pg.open());
  const record = sampleMemory({ state: 'pending_review', content: { note: 'nul \u0000 and "quotes" ü' } });
  await a.put(record, ['note', 'quotes']);
  assert.deepEqual(await b.get('acme', record.id), record);
  assert.deepEqual((await b.list({ tenant: 'acme', state: 'pending_review', terms: ['quotes'], limit: 5 })).map((r) => r.id), [record.id]);
  const review = { reasons: ['provenance.web'], verdict: 'promote' as const };
  const results = await Promise.all([a, b, a, b].map((s) => s.transition('acme', record.id, 'pending_review', 'active', review)));
  assert.equal(results.filter(Boolean).length, 1);
  await assert.rejects(b.put(record, []), { code: 'ERR_MEMORY_DUPLICATE' });
});

test('postgres: a put that fails half way leaves neither the record nor its index entries', async () => {
  const store = await emptyStore();
  const record = sampleMemory();
  // A NUL byte cannot be stored in a text column: the term insert fails after the record insert.
  await assert.rejects(store.put(record, ['fine', 'bad\u0000term']), { code: 'ERR_STATE_UNAVAILABLE' });
  assert.equal(await store.get('acme', record.id), null);
  assert.equal(await store.indexEntries('acme', record.id), 0);
});

test('postgres: a closed database refuses with ERR_STATE_UNAVAILABLE', async () => {
  const closed = pg.open();
  await closed.close();
  const store = new PostgresMemoryStore(closed);
  await assert.rejects(store.get('acme', 'mem_x'), { code: 'ERR_STATE_UNAVAILABLE', status: 503 });
  await assert.rejects(store.put(sampleMemory(), []), { code: 'ERR_STATE_UNAVAILABLE' });
});
