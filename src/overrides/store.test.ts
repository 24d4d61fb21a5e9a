/** Runs the override store contract against the memory and SQLite adapters (SQLite also across reopen). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from '../core/sqlite.ts';
import { MemoryOverrideStore } from './memory-store.ts';
import { SqliteOverrideStore } from './sqlite-store.ts';
import { runOverrideStoreContract } from './store.contract.ts';
import type { OverrideStore } from './types.ts';

const opened = new WeakMap<OverrideStore, { db: DatabaseSync; path: string }>();

function openAt(path: string): OverrideStore {
  const db = openDurableSqlite(path, { area: 'STATE' });
  const store = new SqliteOverrideStore(db);
  opened.set(store, { db, path });
  return store;
}

runOverrideStoreContract('memory', async () => new MemoryOverrideStore());
runOverrideStoreContract(
  'sqlite',
  async () => openAt(join(mkdtempSync(join(tmpdir(), 'airlock-overrides-')), 'state.db')),
  async (store) => {
    const handle = opened.get(store);
    if (handle === undefined) throw new Error('store was not opened by this test');
    handle.db.close();
    return openAt(handle.path);
  },
);
