/**
 * PostgresSessionStore against the PostgreSQL of this machine: the session store contract
 * (a fresh schema per store), sessions seen across two pools (two replicas), the stable
 * duplicate code and fault mapping. Every schema is dropped at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../core/ids.ts';
import { runSessionStoreContract } from '../../sessions/store.contract.ts';
import { PostgresDatabase } from './database.ts';
import { PostgresSessionStore } from './sessions.ts';
import { schemasDroppedAfter } from './test-support.ts';

const freshSchema = schemasDroppedAfter();

runSessionStoreContract('postgres', async () => new PostgresSessionStore((await freshSchema()).db));
runSessionStoreContract('postgres (nothing remembered)', async () => new PostgresSessionStore((await freshSchema()).db, { cacheSize: 0 }));

test('postgres: a session unknown to one replica at first is found once another creates it; remembered records stay bounded', async () => {
  const pg = await freshSchema();
  const a = new PostgresSessionStore(pg.db);
  const b = new PostgresSessionStore(pg.open(), { cacheSize: 2 });
  const ids = [newId('ses'), newId('ses'), newId('ses')];
  assert.equal(await b.get(ids[0]!), null);
  for (const [i, id] of ids.entries()) {
    await a.create({ id, owner: { user: `u${i}`, tenant: 't', issuer: 'i', agent: i === 1 ? 'bot' : null }, attributes: { i }, createdAt: i });
  }
  for (let round = 0; round < 2; round++) {
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await b.get(id), { id, owner: { user: `u${i}`, tenant: 't', issuer: 'i', agent: i === 1 ? 'bot' : null }, attributes: { i }, createdAt: i });
    }
  }
});

test('postgres: a duplicate session id is refused with a stable code, across replicas too', async () => {
  const pg = await freshSchema();
  const a = new PostgresSessionStore(pg.db);
  const b = new PostgresSessionStore(pg.open());
  const id = newId('ses');
  await a.create({ id, owner: { user: 'a', tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: 1 });
  await assert.rejects(b.create({ id, owner: { user: 'b', tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: 2 }), {
    code: 'ERR_SESSION_DUPLICATE',
    status: 409,
  });
  assert.equal((await b.get(id))?.owner.user, 'a');
});

test('postgres: attributes with NUL and lone surrogates read back exactly; a NUL in an owner column is refused, never truncated', async () => {
  const store = new PostgresSessionStore((await freshSchema()).db, { cacheSize: 0 });
  const record = { id: newId('ses'), owner: { user: 'a\u0000', tenant: 't', issuer: 'i', agent: null }, attributes: { note: 'x\u0000y\udc00', n: 1.5 }, createdAt: 3 };
  // PostgreSQL text holds no NUL; the owner columns are plain text (attributes are JSON, escaped).
  await assert.rejects(store.create(record), { code: 'ERR_STORE_VALUE_UNREPRESENTABLE', status: 400 });
  assert.equal(await store.get(record.id), null);
  const clean = { ...record, owner: { ...record.owner, user: 'a' } };
  await store.create(clean);
  assert.deepEqual(await store.get(clean.id), clean);
});

test('postgres: a database that does not answer is ERR_STORE_UNAVAILABLE', async () => {
  const db = PostgresDatabase.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  try {
    const store = new PostgresSessionStore(db);
    await assert.rejects(store.create({ id: newId('ses'), owner: { user: 'a', tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: 1 }), {
      code: 'ERR_STORE_UNAVAILABLE',
      status: 503,
    });
    await assert.rejects(store.get(newId('ses')), { code: 'ERR_STORE_UNAVAILABLE', status: 503 });
  } finally {
    await db.close();
  }
});
