import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirlockError } from '../core/errors.ts';
import { MemorySessionActivityStore } from './activity.ts';
import { runSessionActivityStoreContract } from './activity.contract.ts';

// The SQLite and PostgreSQL adapters run the same contract from src/stores/.
runSessionActivityStoreContract('memory', async () => ({ store: new MemorySessionActivityStore() }));

test('memory: a store full of active sessions refuses a new session rather than forgetting an active one; idle ones make room', async () => {
  const T0 = 1_700_000_000_000;
  const store = new MemorySessionActivityStore({ maxSessions: 3 });
  for (let i = 0; i < 5; i++) await store.recordCall('ses_victim', 'pay', T0);
  await store.recordCall('ses_b', 'x', T0 + 1000);
  await store.recordRead('ses_c', 2, T0 + 1000);
  const refused = (error: unknown) => error instanceof AirlockError && error.code === 'ERR_STATE_UNAVAILABLE';
  await assert.rejects(store.recordCall('ses_new', 'x', T0 + 60_000), refused);
  await assert.rejects(store.countCall('ses_new', 'x', T0 + 60_000), refused);
  await assert.rejects(store.recordRead('ses_new', 1, T0 + 60_000), refused);
  assert.deepEqual(await store.snapshot('ses_victim', 'pay', T0 + 60_000), { callCount: 5, toolCallCount: 5, recordsReadLast10m: 0 });
  await store.recordCall('ses_victim', 'pay', T0 + 60_000);
  // An hour later, the sessions idle since T0 + 1 s make room; the one still active keeps its counts.
  const later = T0 + 60 * 60 * 1000 + 2000;
  await store.recordCall('ses_victim', 'pay', later - 1000);
  assert.equal((await store.countCall('ses_new', 'x', later)).callCount, 1);
  assert.equal((await store.snapshot('ses_victim', 'pay', later)).callCount, 7);
});
