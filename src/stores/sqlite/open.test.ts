import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { assertDurable, openDurableSqlite } from './open.ts';

test('opens in WAL with synchronous=FULL, also when reopening an existing WAL file', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-sqlite-')), 'x.db');
  for (let i = 0; i < 2; i++) {
    const db = openDurableSqlite(path, { area: 'TEST' });
    assert.deepEqual({ ...(db.prepare('PRAGMA synchronous').get() as object) }, { synchronous: 2 });
    assert.deepEqual({ ...(db.prepare('PRAGMA journal_mode').get() as object) }, { journal_mode: 'wal' });
    db.exec('CREATE TABLE IF NOT EXISTS t (x)');
    db.close();
  }
});

test('a connection left at synchronous=NORMAL is refused', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-sqlite-')), 'y.db');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
  assert.throws(() => assertDurable(db, path, 'ERR_TEST_DURABILITY'), { code: 'ERR_TEST_DURABILITY' });
});
