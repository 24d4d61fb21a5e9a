/** Runs the session budget store contract against the memory adapter (SQLite and PostgreSQL run it under src/stores/). */
import { MemorySessionBudgetStore } from './memory-store.ts';
import { runSessionBudgetStoreContract } from './store.contract.ts';

runSessionBudgetStoreContract('memory', async () => {
  const store = new MemorySessionBudgetStore();
  return { store, another: async () => store };
});
