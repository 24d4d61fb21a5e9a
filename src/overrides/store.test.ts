/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemoryOverrideStore } from './memory-store.ts';
import { runOverrideStoreContract } from './store.contract.ts';

runOverrideStoreContract('memory', async () => new MemoryOverrideStore());
