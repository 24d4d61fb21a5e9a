/** Contract every SessionStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { SessionStore } from './types.ts';

export function runSessionStoreContract(name: string, makeStore: () => Promise<SessionStore>): void {
  test(`${name}: a created session reads back exactly`, async () => {
    const store = await makeStore();
    const record = {
      id: newId('ses'),
      owner: { user: 'sam', tenant: 'acme', issuer: 'https://issuer', agent: null },
      attributes: { ticket_id: 't_1', nested: { n: 1, ok: true } },
      createdAt: 1_700_000_000_000,
    };
    await store.create(record);
    assert.deepEqual(await store.get(record.id), record);
  });

  test(`${name}: the acting agent of the owner reads back exactly`, async () => {
    const store = await makeStore();
    const record = { id: newId('ses'), owner: { user: 'sam', tenant: 'acme', issuer: 'https://issuer', agent: 'support-agent' }, attributes: {}, createdAt: 2 };
    await store.create(record);
    assert.deepEqual((await store.get(record.id))?.owner, record.owner);
  });

  test(`${name}: a declared target scope reads back exactly, an empty one stays empty, none stays absent`, async () => {
    const store = await makeStore();
    const targets = [
      { kind: 'email' as const, value: 'bob@xn--bcher-kva.example' },
      { kind: 'iban' as const, value: 'GB29NWBK60161331926819' },
      { kind: 'path' as const, value: '/srv/**/report-?.txt' },
    ];
    const owner = { user: 'sam', tenant: 'acme', issuer: 'https://issuer', agent: null };
    const scoped = { id: newId('ses'), owner, attributes: {}, targets, createdAt: 3 };
    const empty = { id: newId('ses'), owner, attributes: {}, targets: [], createdAt: 4 };
    const none = { id: newId('ses'), owner, attributes: {}, createdAt: 5 };
    for (const record of [scoped, empty, none]) await store.create(structuredClone(record));
    assert.deepEqual(await store.get(scoped.id), scoped);
    assert.deepEqual((await store.get(empty.id))?.targets, []);
    const read = await store.get(none.id);
    assert.equal(read !== null && Object.hasOwn(read, 'targets'), false);
  });

  test(`${name}: unknown ids read as null`, async () => {
    const store = await makeStore();
    assert.equal(await store.get(newId('ses')), null);
  });

  test(`${name}: an id cannot be created twice (no overwrite of another principal's session)`, async () => {
    const store = await makeStore();
    const id = newId('ses');
    await store.create({ id, owner: { user: 'a', tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: 1 });
    await assert.rejects(store.create({ id, owner: { user: 'b', tenant: 't', issuer: 'i', agent: null }, attributes: {}, createdAt: 2 }));
    assert.equal((await store.get(id))?.owner.user, 'a');
  });

  test(`${name}: a reader cannot change what the next read returns`, async () => {
    const store = await makeStore();
    const id = newId('ses');
    const record = { id, owner: { user: 'a', tenant: 't', issuer: 'i', agent: null }, attributes: { ticket_id: 'x', nested: { n: 1 } }, createdAt: 1 };
    await store.create(structuredClone(record));
    for (let i = 0; i < 2; i++) {
      const read = (await store.get(id)) as unknown as { owner: { user: string }; attributes: { ticket_id: string; nested: { n: number } } };
      try {
        read.owner.user = 'mallory';
        read.attributes.ticket_id = 'changed';
        read.attributes.nested.n = 2;
      } catch {
        // A store may hand out frozen records.
      }
    }
    assert.deepEqual(await store.get(id), record);
  });

  test(`${name}: stored records are isolated from caller mutation`, async () => {
    const store = await makeStore();
    const id = newId('ses');
    const attributes: Record<string, string> = { ticket_id: 'x' };
    await store.create({ id, owner: { user: 'a', tenant: 't', issuer: 'i', agent: null }, attributes, createdAt: 1 });
    attributes.ticket_id = 'changed';
    assert.equal((await store.get(id))?.attributes.ticket_id, 'x');
  });
}
