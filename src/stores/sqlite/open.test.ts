import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { assertDurable, openDurableSqlite } from './open.ts';
import { SqliteAuditStore } from './audit/store.ts';

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

test('a new state or audit database, its WAL files and the folder made for it are private to the owner; an existing file keeps its mode', async () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-sqlite-'));
  const mode = (path: string) => statSync(path).mode & 0o777;
  const state = join(root, 'fresh', 'state.db');
  const db = openDurableSqlite(state, { area: 'TEST' });
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  assert.equal(mode(join(root, 'fresh')), 0o700);
  for (const file of [state, `${state}-wal`, `${state}-shm`]) assert.equal(mode(file) & 0o077, 0, file);
  db.close();

  const audit = join(root, 'logs', 'audit.db');
  const store = SqliteAuditStore.open(audit);
  assert.equal(mode(join(root, 'logs')), 0o700);
  assert.equal(mode(audit) & 0o077, 0);
  await store.close();

  const chosen = join(root, 'chosen.db');
  writeFileSync(chosen, '');
  chmodSync(chosen, 0o640);
  openDurableSqlite(chosen, { area: 'TEST' }).close();
  assert.equal(mode(chosen), 0o640);
});
