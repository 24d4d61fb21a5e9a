import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { newId } from '../../core/ids.ts';
import { openDurableSqlite } from './open.ts';
import { SqliteSessionStore } from './sessions.ts';
import { runSessionStoreContract } from '../../sessions/store.contract.ts';

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
  for (const [i, id] of ids.entries()) await a.create({ id, owner: { user: `u${i}`, tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: i });
  for (let round = 0; round < 2; round++) {
    for (const [i, id] of ids.entries()) assert.equal((await b.get(id))?.owner.user, `u${i}`);
  }
});

test('sqlite: a state database from before sessions were bound to agents opens; its sessions read as agentless', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'airlock-sessions-')), 'state.db');
  const old = new DatabaseSync(path);
  old.exec(`CREATE TABLE sessions (id TEXT PRIMARY KEY, owner_user TEXT NOT NULL, owner_tenant TEXT NOT NULL,
    owner_issuer TEXT NOT NULL, attributes TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT`);
  const id = newId('ses');
  old.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)').run(id, 'sam', 'acme', 'iss', '{}', 1);
  old.close();
  const store = new SqliteSessionStore(openDurableSqlite(path, { area: 'STATE' }));
  const before = await store.get(id);
  assert.deepEqual(before?.owner, { user: 'sam', tenant: 'acme', issuer: 'iss', agent: null });
  assert.equal(before?.targets, undefined, 'an older row declares no target scope');
  const fresh = newId('ses');
  await store.create({ id: fresh, owner: { user: 'sam', tenant: 'acme', issuer: 'iss', agent: 'bot' }, attributes: {}, targets: [{ kind: 'value', value: 'general' }], createdAt: 2 });
  assert.equal((await store.get(fresh))?.owner.agent, 'bot');
  assert.deepEqual((await store.get(fresh))?.targets, [{ kind: 'value', value: 'general' }]);
});
