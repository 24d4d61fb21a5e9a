import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDurableSqlite } from '../core/sqlite.ts';
import { MemorySessionStore } from './memory-store.ts';
import { SqliteSessionStore } from './sqlite-store.ts';
import { runSessionStoreContract } from './store.contract.ts';

runSessionStoreContract('memory', async () => new MemorySessionStore());
runSessionStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-sessions-'));
  return new SqliteSessionStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});
