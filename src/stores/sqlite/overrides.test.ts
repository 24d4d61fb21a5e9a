/** Runs the override store contract against the memory and SQLite adapters (SQLite also across reopen). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';
import { SqliteOverrideStore } from './overrides.ts';
import { runOverrideStoreContract } from '../../overrides/store.contract.ts';
import type { OverrideStore } from '../../overrides/types.ts';

const opened = new WeakMap<OverrideStore, { db: DatabaseSync; path: string }>();

function openAt(path: string): OverrideStore {
  const db = openDurableSqlite(path, { area: 'STATE' });
  const store = new SqliteOverrideStore(db);
  opened.set(store, { db, path });
  return store;
}

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
