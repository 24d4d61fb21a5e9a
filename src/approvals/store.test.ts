/** The store contract on the memory adapter (the SQLite and PostgreSQL adapters run it under src/stores/). */
import { MemoryApprovalStore } from './memory-store.ts';
import { runApprovalStoreContract } from './store.contract.ts';

runApprovalStoreContract('memory', async () => new MemoryApprovalStore());
