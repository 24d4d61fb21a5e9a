/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemoryPinStore } from './memory-store.ts';
import { runPinStoreContract } from './store.contract.ts';

runPinStoreContract('memory', async () => new MemoryPinStore());
