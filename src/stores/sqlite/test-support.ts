/** For tests: a fresh SQLite state database in a temporary directory, and more connections to it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { openDurableSqlite } from './open.ts';

export interface TestSqlite {
  path: string;
  db: DatabaseSync;
  /** Another connection to the same file (another process, or this one after a restart). */
  open(): DatabaseSync;
  close(): void;
}

export function testSqlite(): TestSqlite {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-stores-')), 'state.db');
  const dbs: DatabaseSync[] = [];
  const open = () => {
    const db = openDurableSqlite(path, { area: 'STATE' });
    dbs.push(db);
    return db;
  };
  return {
    path,
    db: open(),
    open,
    close() {
      for (const db of dbs) if (db.isOpen) db.close();
    },
  };
}
