/** Runs the idempotency store contract against the memory adapter (SQLite and PostgreSQL run it under src/stores/). */
import { MemoryIdempotencyStore } from './memory-store.ts';
import { runIdempotencyStoreContract } from './store.contract.ts';

runIdempotencyStoreContract('memory', async () => {
  const store = new MemoryIdempotencyStore();
  return { store, another: async () => store };
});
