import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from '../core/sqlite.ts';
import { MemoryMemoryStore } from './memory-store.ts';
import { SqliteMemoryStore } from './sqlite-store.ts';
import { runMemoryStoreContract } from './store.contract.ts';

runMemoryStoreContract('memory', async () => new MemoryMemoryStore());
runMemoryStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-memory-'));
  return new SqliteMemoryStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});
