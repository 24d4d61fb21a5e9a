/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemoryRevocationStore } from './memory-revocations.ts';
import { runRevocationStoreContract } from './store.contract.ts';

runRevocationStoreContract('memory', async () => new MemoryRevocationStore());
