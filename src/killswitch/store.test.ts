/** Runs the kill switch store contract against the memory adapter (SQLite and PostgreSQL run it under src/stores/). */
import { MemoryKillSwitchStore } from './memory-store.ts';
import { runKillSwitchStoreContract } from './store.contract.ts';

runKillSwitchStoreContract('memory', async () => new MemoryKillSwitchStore());
