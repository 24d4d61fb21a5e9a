/**
 * MemoryAuditStore: the shared AuditStore contract, plus its test-only failure switch.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { verifyChain } from './chain.ts';
import { MemoryAuditStore } from './memory-store.ts';
import { readAll } from './read-all.ts';
import { runAuditStoreContract, sampleEventInput } from './store.contract.ts';

runAuditStoreContract('memory', () => new MemoryAuditStore());

it('memory store: an unavailable store rejects with ERR_AUDIT_UNAVAILABLE and writes nothing', async () => {
  const store = new MemoryAuditStore();
  await store.append([sampleEventInput()]);
  store.setUnavailable(true);
  await assert.rejects(store.append([sampleEventInput()]), { code: 'ERR_AUDIT_UNAVAILABLE', status: 503 });
  store.setUnavailable(false);
  const [next] = await store.append([sampleEventInput()]);
  assert.equal(next?.seq, 2);
  assert.equal((await verifyChain(readAll(store))).ok, true);
});
