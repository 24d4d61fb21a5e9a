import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from './open.ts';
import { SqliteMemoryStore } from './memory.ts';
import { runMemoryStoreContract } from '../../memory/store.contract.ts';

runMemoryStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-memory-'));
  return new SqliteMemoryStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});
