import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '../core/ids.ts';
import { openDurableSqlite } from '../core/sqlite.ts';
import { MemorySessionStore } from './memory-store.ts';
import { SqliteSessionStore } from './sqlite-store.ts';
import { runSessionStoreContract } from './store.contract.ts';

runSessionStoreContract('memory', async () => new MemorySessionStore());
runSessionStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-sessions-'));
  return new SqliteSessionStore(openDurableSqlite(join(dir, 'state.db'), { area: 'STATE' }));
});

test('sqlite: an id unknown at first is found once another connection creates it; the remembered records stay bounded', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-sessions-')), 'state.db');
  const a = new SqliteSessionStore(openDurableSqlite(path, { area: 'STATE' }));
  const b = new SqliteSessionStore(openDurableSqlite(path, { area: 'STATE' }), { cacheSize: 2 });
  const ids = [newId('ses'), newId('ses'), newId('ses')];
  assert.equal(await b.get(ids[0] as string), null);
  for (const [i, id] of ids.entries()) await a.create({ id, owner: { user: `u${i}`, tenant: 't', issuer: 'i' }, attributes: {}, createdAt: i });
  for (let round = 0; round < 2; round++) {
    for (const [i, id] of ids.entries()) assert.equal((await b.get(id))?.owner.user, `u${i}`);
  }
});
