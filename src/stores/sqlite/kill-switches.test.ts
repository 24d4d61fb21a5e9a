/** Runs the kill switch store contract against the SQLite adapter (also across a reopen). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';
import type { KillSwitchStore } from '../../killswitch/index.ts';
import { runKillSwitchStoreContract } from '../../killswitch/store.contract.ts';
import { SqliteKillSwitchStore } from './kill-switches.ts';

const opened = new WeakMap<KillSwitchStore, { db: DatabaseSync; path: string }>();

function openAt(path: string): KillSwitchStore {
  const db = openDurableSqlite(path, { area: 'STATE' });
  const store = new SqliteKillSwitchStore(db);
  opened.set(store, { db, path });
  return store;
}

runKillSwitchStoreContract(
  'sqlite',
  async () => openAt(join(mkdtempSync(join(tmpdir(), 'airlock-killswitch-')), 'state.db')),
  async (store) => {
    const handle = opened.get(store);
    if (handle === undefined) throw new Error('store was not opened by this test');
    handle.db.close();
    return openAt(handle.path);
  },
);
