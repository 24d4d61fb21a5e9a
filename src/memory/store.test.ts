/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemoryMemoryStore } from './memory-store.ts';
import { runMemoryStoreContract } from './store.contract.ts';

runMemoryStoreContract('memory', async () => new MemoryMemoryStore());
