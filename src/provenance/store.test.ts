import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import { MemoryProvenanceStore } from './store.ts';
import { runProvenanceStoreContract } from './store.contract.ts';

// The SQLite and PostgreSQL adapters run the same contract from src/stores/.
runProvenanceStoreContract('memory', async () => ({ store: new MemoryProvenanceStore() }));

test('memory: a session dropped at the bound reads as evicted, never as an empty log', async () => {
  const store = new MemoryProvenanceStore({ maxSessions: 2 });
  const [a, b, c] = [newId('ses'), newId('ses'), newId('ses')];
  await store.append(a, { contentId: 'cnt_a', text: 'a', tier: 'external' });
  await store.append(b, { contentId: 'cnt_b', text: 'b', tier: 'external' });
  await store.since(a, 0); // a is now the most recently used
  await store.append(c, { contentId: 'cnt_c', text: 'c', tier: 'external' });
  await assert.rejects(store.since(b, 0), { code: 'ERR_PROVENANCE_EVICTED' });
  await assert.rejects(store.append(b, { contentId: 'cnt_b2', text: 'b', tier: 'external' }), { code: 'ERR_PROVENANCE_EVICTED' });
  assert.equal((await store.since(a, 0)).length, 1);
});
