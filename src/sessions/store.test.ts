/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemorySessionStore } from './memory-store.ts';
import { runSessionStoreContract } from './store.contract.ts';

runSessionStoreContract('memory', async () => new MemorySessionStore());
