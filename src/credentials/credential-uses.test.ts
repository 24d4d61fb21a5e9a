import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCredentialUseStoreContract } from './credential-uses.contract.ts';
import { MemoryCredentialUseStore } from './memory-credential-uses.ts';

runCredentialUseStoreContract('memory', async () => {
  const store = new MemoryCredentialUseStore();
  return { store, another: async () => store };
});

test('memory: when full of live uses it refuses a new jti rather than forget one, and makes room by dropping expired ones', async () => {
  const store = new MemoryCredentialUseStore(2);
  await store.use('a', 110, 100);
  await store.use('b', 200, 100);
  await assert.rejects(store.use('c', 300, 105), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
  assert.equal(store.size, 2);
  await assert.rejects(store.use('a', 110, 105), { code: 'ERR_CREDENTIAL_REPLAYED' }, 'a full store still remembers');
  await store.use('c', 300, 111); // 'a' expired before 111: dropped to make room
  await assert.rejects(store.use('b', 200, 111), { code: 'ERR_CREDENTIAL_REPLAYED' });
  await assert.rejects(store.use('c', 300, 111), { code: 'ERR_CREDENTIAL_REPLAYED' });
});

test('memory: a capacity that is not a positive whole number is refused', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new MemoryCredentialUseStore(bad), { code: 'ERR_CREDENTIAL_CONFIG' });
});
