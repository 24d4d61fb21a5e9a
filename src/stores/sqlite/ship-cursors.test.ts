import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { shipCursorContract } from '../../audit/ship/cursors.contract.ts';
import { openDurableSqlite } from './open.ts';
import { SqliteShipCursorStore } from './ship-cursors.ts';

shipCursorContract('sqlite', true, async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-ship-cursors-')), 'state.db');
  const open: DatabaseSync[] = [];
  const connect = () => {
    const db = openDurableSqlite(path, { area: 'STATE' });
    open.push(db);
    return new SqliteShipCursorStore(db);
  };
  return {
    store: connect(),
    reopen: async () => connect(),
    close: async () => {
      for (const db of open.splice(0)) if (db.isOpen) db.close();
    },
  };
});
