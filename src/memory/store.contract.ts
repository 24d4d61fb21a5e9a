/** Contract every MemoryStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { MemoryRecord, MemoryStore } from './types.ts';

export function sampleMemory(overrides: Partial<MemoryRecord> = {}): MemoryRecord {
  return {
    id: newId('mem'),
    tenant: 'acme',
    owner: 'sam',
    kind: 'preference',
    content: { topic: 'contact', value: 'prefers email' },
    content_hash: 'sha256:' + 'a'.repeat(64),
    provenance: { kind: 'user_statement', source_ids: [] },
    confidence: 0.9,
    created_at: 1_000,
    expires_at: 10_000,
    created_by: { user: 'sam', agent: null },
    state: 'active',
    ...overrides,
  };
}

export function runMemoryStoreContract(name: string, makeStore: () => Promise<MemoryStore>): void {
  test(`${name}: a record reads back exactly, and only in its own tenant`, async () => {
    const store = await makeStore();
    const record = sampleMemory({ review: { reasons: ['provenance.tool_output'] } });
    await store.put(record, ['contact', 'email']);
    assert.deepEqual(await store.get('acme', record.id), record);
    assert.equal(await store.get('globex', record.id), null);
    assert.equal(await store.get('acme', newId('mem')), null);
    await assert.rejects(store.put(record, []), { code: 'ERR_MEMORY_DUPLICATE' });
  });

  test(`${name}: listing never crosses tenants, whatever else matches`, async () => {
    const store = await makeStore();
    const mine = sampleMemory();
    const theirs = sampleMemory({ tenant: 'globex' });
    await store.put(mine, ['shared', 'term']);
    await store.put(theirs, ['shared', 'term']);
    for (const query of [{}, { terms: ['shared'] }, { owners: ['sam'] }, { kind: 'preference' }]) {
      assert.deepEqual((await store.list({ tenant: 'acme', state: 'active', limit: 10, ...query })).map((r) => r.id), [mine.id]);
      assert.deepEqual((await store.list({ tenant: 'globex', state: 'active', limit: 10, ...query })).map((r) => r.id), [theirs.id]);
    }
  });

  test(`${name}: filters by state, owner, kind, all terms and expiry; newest first; limited`, async () => {
    const store = await makeStore();
    const a = sampleMemory({ created_at: 1, owner: 'sam' });
    const b = sampleMemory({ created_at: 2, owner: 'role:support', kind: 'fact' });
    const c = sampleMemory({ created_at: 3, owner: 'sam', expires_at: 50 });
    const d = sampleMemory({ created_at: 4, state: 'pending_review' });
    await store.put(a, ['red', 'apple']);
    await store.put(b, ['red', 'car']);
    await store.put(c, ['green', 'apple']);
    await store.put(d, ['red', 'apple']);
    const ids = async (q: Partial<Parameters<MemoryStore['list']>[0]>) =>
      (await store.list({ tenant: 'acme', state: 'active', limit: 10, ...q })).map((r) => r.id);
    assert.deepEqual(await ids({}), [c.id, b.id, a.id]);
    assert.deepEqual(await ids({ limit: 2 }), [c.id, b.id]);
    assert.deepEqual(await ids({ owners: ['sam'] }), [c.id, a.id]);
    assert.deepEqual(await ids({ owners: [] }), []);
    assert.deepEqual(await ids({ kind: 'fact' }), [b.id]);
    assert.deepEqual(await ids({ terms: ['red'] }), [b.id, a.id]);
    assert.deepEqual(await ids({ terms: ['red', 'apple'] }), [a.id]);
    assert.deepEqual(await ids({ terms: ['blue'] }), []);
    assert.deepEqual(await ids({ liveAt: 100 }), [b.id, a.id]);
    assert.deepEqual(await ids({ state: 'pending_review' }), [d.id]);
  });

  test(`${name}: a state change happens once, from the expected state, in the right tenant`, async () => {
    const store = await makeStore();
    const record = sampleMemory({ state: 'pending_review', review: { reasons: ['provenance.web'] } });
    await store.put(record, []);
    const review = { reasons: ['provenance.web'], verdict: 'promote' as const, decided_by: { user: 'rita', roles: ['memory-reviewer'] }, decided_at: 5 };
    assert.equal(await store.transition('globex', record.id, 'pending_review', 'active', review), false);
    const results = await Promise.all([1, 2, 3].map(() => store.transition('acme', record.id, 'pending_review', 'active', review)));
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.equal(await store.transition('acme', record.id, 'pending_review', 'rejected', review), false);
    const after = await store.get('acme', record.id);
    assert.equal(after?.state, 'active');
    assert.deepEqual(after?.review, review);
  });

  test(`${name}: deletion removes the record and every derived index entry`, async () => {
    const store = await makeStore();
    const record = sampleMemory();
    const other = sampleMemory();
    await store.put(record, ['alpha', 'beta', 'beta']);
    await store.put(other, ['alpha']);
    assert.equal(await store.indexEntries('acme', record.id), 2);
    assert.equal(await store.delete('globex', record.id), false, 'not from another tenant');
    assert.equal(await store.indexEntries('acme', record.id), 2);
    assert.equal(await store.delete('acme', record.id), true);
    assert.equal(await store.get('acme', record.id), null);
    assert.equal(await store.indexEntries('acme', record.id), 0);
    assert.deepEqual((await store.list({ tenant: 'acme', state: 'active', terms: ['alpha'], limit: 10 })).map((r) => r.id), [other.id]);
    assert.equal(await store.delete('acme', record.id), false);
  });
}
