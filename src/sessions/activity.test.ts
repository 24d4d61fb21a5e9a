import { MemorySessionActivityStore } from './activity.ts';
import { runSessionActivityStoreContract } from './activity.contract.ts';

// The SQLite and PostgreSQL adapters run the same contract from src/stores/.
runSessionActivityStoreContract('memory', async () => ({ store: new MemorySessionActivityStore() }));
