/**
 * PostgresOverrideStore against the PostgreSQL of this machine: the override store contract
 * (a fresh schema per store, reopened on a new pool), uses counted exactly once and one
 * revocation winning across two pools (two replicas), and operation sequences that agree with
 * the memory adapter. Every schema is dropped at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../../core/ids.ts';
import { MemoryOverrideStore } from '../../overrides/memory-store.ts';
import { HASH_A, HASH_B, runOverrideStoreContract, sampleOverride } from '../../overrides/store.contract.ts';
import type { Override, OverrideRevocation, OverrideStore } from '../../overrides/types.ts';
import { PostgresDatabase } from './database.ts';
import { PostgresOverrideStore } from './overrides.ts';
import { schemasDroppedAfter, type TestPostgres } from './test-support.ts';

const freshSchema = schemasDroppedAfter();

const T0 = 1_700_000_000_000;
const lead = { user: 'lead', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] };
const revocation = (at: number, why: string): OverrideRevocation => ({ revoked_at: at, revoked_by: lead, revoke_justification: why });

const opened = new WeakMap<OverrideStore, { pg: TestPostgres; db: PostgresDatabase }>();
function storeOn(pg: TestPostgres, db: PostgresDatabase): OverrideStore {
  const store = new PostgresOverrideStore(db);
  opened.set(store, { pg, db });
  return store;
}

runOverrideStoreContract(
  'postgres',
  async () => {
    const pg = await freshSchema();
    return storeOn(pg, pg.db);
  },
  async (store) => {
    const handle = opened.get(store);
    if (handle === undefined) throw new Error('store was not opened by this test');
    await handle.db.close();
    return storeOn(handle.pg, handle.pg.open());
  },
);

test('postgres: uses on two replicas are each counted once (16 concurrent, 50 trials); of 8 concurrent revocations exactly one wins', async () => {
  const pg = await freshSchema();
  const replicas = [new PostgresOverrideStore(pg.db), new PostgresOverrideStore(pg.open())] as const;
  for (let trial = 0; trial < 50; trial++) {
    const o = sampleOverride();
    await replicas[trial % 2]!.create(o);
    const used = await Promise.all(Array.from({ length: 16 }, (_, i) => replicas[i % 2]!.recordUse(o.id, T0)));
    assert.deepEqual(
      used.map((u) => u?.uses).sort((a, b) => (a ?? 0) - (b ?? 0)),
      Array.from({ length: 16 }, (_, i) => i + 1),
      `trial ${trial}: every use counted, each count handed out once`,
    );
    assert.equal((await replicas[(trial + 1) % 2]!.get(o.id))?.uses, 16);
    const revoked = await Promise.all(Array.from({ length: 8 }, (_, i) => replicas[i % 2]!.revoke(o.id, revocation(T0 + 1, `r${i}`))));
    assert.equal(revoked.filter(Boolean).length, 1, `trial ${trial}: ${revoked.join(',')}`);
    assert.equal((await replicas[0].get(o.id))?.revoke_justification, `r${revoked.indexOf(true)}`);
  }
});

test('postgres: uses racing a revocation on two replicas: exactly the uses that were granted are counted, none after it', async () => {
  const pg = await freshSchema();
  const replicas = [new PostgresOverrideStore(pg.db), new PostgresOverrideStore(pg.open())] as const;
  for (let trial = 0; trial < 40; trial++) {
    const o = sampleOverride();
    await replicas[0].create(o);
    const uses = Array.from({ length: 12 }, (_, i) => replicas[i % 2]!.recordUse(o.id, T0));
    const revoke = replicas[trial % 2]!.revoke(o.id, revocation(T0, 'stop'));
    const [granted, revokedIt] = await Promise.all([Promise.all(uses), revoke]);
    assert.equal(revokedIt, true);
    const counted = granted.filter((g): g is Override => g !== null);
    assert.deepEqual(counted.map((g) => g.uses).sort((a, b) => a - b), Array.from({ length: counted.length }, (_, i) => i + 1));
    assert.ok(counted.every((g) => g.revoked_at === undefined), 'no use is granted on a revoked override');
    const after = await replicas[1].get(o.id);
    assert.equal(after?.uses, counted.length, `trial ${trial}`);
    assert.equal(await replicas[0].recordUse(o.id, T0), null);
    assert.equal((await replicas[1].get(o.id))?.uses, counted.length);
  }
});

test('postgres: of concurrent expiry marks on two replicas exactly one lands, with its own time', async () => {
  const pg = await freshSchema();
  const replicas = [new PostgresOverrideStore(pg.db), new PostgresOverrideStore(pg.open())] as const;
  for (let trial = 0; trial < 30; trial++) {
    const o = sampleOverride();
    await replicas[0].create(o);
    const marked = await Promise.all(Array.from({ length: 6 }, (_, i) => replicas[i % 2]!.markExpired(o.id, o.expires_at + i)));
    assert.equal(marked.filter(Boolean).length, 1, `trial ${trial}: ${marked.join(',')}`);
    assert.equal((await replicas[1].get(o.id))?.expired_at, o.expires_at + marked.indexOf(true));
  }
});

test('postgres: a duplicate id is refused with a stable code; text with NUL reads back; a NUL key names nothing', async () => {
  const store = new PostgresOverrideStore((await freshSchema()).db);
  const o = sampleOverride({ justification: 'nul \u0000 and \ud800 lone' });
  await store.create(o);
  await assert.rejects(store.create(o), { code: 'ERR_OVERRIDE_DUPLICATE', status: 409 });
  assert.equal(await store.revoke(o.id, revocation(T0, 'why \u0000')), true);
  assert.deepEqual(await store.get(o.id), { ...o, ...revocation(T0, 'why \u0000') });
  const bad = `${o.id}\u0000`;
  assert.equal(await store.get(bad), null);
  assert.equal(await store.revoke(bad, revocation(T0, 'x')), false);
  assert.equal(await store.markExpired(bad, o.expires_at), false);
  assert.equal(await store.recordUse(bad, T0), null);
  assert.deepEqual(await store.list({ tenant: 'acme\u0000' }), []);
  assert.deepEqual(await store.candidates({ tenant: 'acme\u0000', actionHash: HASH_A, tool: 'x' }), []);
});

test('postgres: a database that does not answer is ERR_STORE_UNAVAILABLE on every method', async () => {
  const db = PostgresDatabase.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  try {
    const store = new PostgresOverrideStore(db);
    const unavailable = { code: 'ERR_STORE_UNAVAILABLE', status: 503 };
    const id = newId('ovr');
    await assert.rejects(store.create(sampleOverride()), unavailable);
    await assert.rejects(store.get(id), unavailable);
    await assert.rejects(store.list({ tenant: 'acme' }), unavailable);
    await assert.rejects(store.candidates({ tenant: 'acme', actionHash: HASH_A, tool: 't' }), unavailable);
    await assert.rejects(store.revoke(id, revocation(T0, 'x')), unavailable);
    await assert.rejects(store.markExpired(id, T0), unavailable);
    await assert.rejects(store.recordUse(id, T0), unavailable);
    await assert.rejects(store.openAt(T0), unavailable);
  } finally {
    await db.close();
  }
});

// ---------------------------------------------------------------------------------------
// Property: any sequence of creations, revocations, expiry marks and uses gives the same
// answers and the same stored overrides on PostgreSQL as on the memory adapter.
// ---------------------------------------------------------------------------------------

type Op =
  | { kind: 'create'; slot: number; tenant: number; action: boolean; hash: string; tool: string; ttl: number; created: number }
  | { kind: 'revoke'; slot: number; at: number; why: string }
  | { kind: 'markExpired'; slot: number; at: number }
  | { kind: 'recordUse'; slot: number; at: number };
const at = fc.integer({ min: 0, max: 40 });
const slot = fc.integer({ min: 0, max: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    slot: fc.integer({ min: 0, max: 3 }),
    tenant: fc.integer({ min: 0, max: 1 }),
    action: fc.boolean(),
    hash: fc.constantFrom(HASH_A, HASH_B),
    tool: fc.constantFrom('billing.refund', 'crm.delete', HASH_A),
    ttl: fc.integer({ min: 1, max: 30 }),
    created: fc.integer({ min: 0, max: 5 }),
  }),
  fc.record({ kind: fc.constant('revoke' as const), slot, at, why: fc.string({ unit: 'binary', maxLength: 8 }) }),
  fc.record({ kind: fc.constant('markExpired' as const), slot, at }),
  fc.record({ kind: fc.constant('recordUse' as const), slot, at }),
);

test('property: override operation sequences on postgres agree with the memory adapter', async () => {
  const pg = await freshSchema();
  const store = new PostgresOverrideStore(pg.db);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 16 }), fc.integer({ min: 0, max: 40 }), async (ops, probe) => {
      run++;
      const model = new MemoryOverrideStore();
      const ids = Array.from({ length: 5 }, () => newId('ovr'));
      const tenants = [`r${run}_acme`, `r${run}_globex`];
      for (const op of ops) {
        const id = ids[op.slot]!;
        switch (op.kind) {
          case 'create': {
            const tenant = tenants[op.tenant]!;
            const o = sampleOverride({
              id,
              scope: op.action ? { kind: 'action', action_hash: op.hash, tenant } : { kind: 'tool', tool: op.tool, tenant },
              created_at: op.created,
              expires_at: op.created + op.ttl,
            });
            const expected = await model.create(o).then(() => 'ok', () => 'refused');
            assert.equal(await store.create(o).then(() => 'ok', () => 'refused'), expected);
            break;
          }
          case 'revoke':
            assert.equal(await store.revoke(id, revocation(op.at, op.why)), await model.revoke(id, revocation(op.at, op.why)));
            break;
          case 'markExpired':
            assert.equal(await store.markExpired(id, op.at), await model.markExpired(id, op.at));
            break;
          case 'recordUse':
            assert.deepEqual(await store.recordUse(id, op.at), await model.recordUse(id, op.at));
            break;
        }
      }
      for (const id of ids) assert.deepEqual(await store.get(id), await model.get(id));
      const byIds = (list: Override[]) => list.map((o) => o.id).sort();
      for (const tenant of tenants) {
        assert.deepEqual(await store.list({ tenant }), await model.list({ tenant }));
        for (const tool of ['billing.refund', 'crm.delete']) {
          for (const actionHash of [HASH_A, HASH_B]) {
            assert.deepEqual(byIds(await store.candidates({ tenant, actionHash, tool })), byIds(await model.candidates({ tenant, actionHash, tool })));
          }
        }
      }
      const order = (a: { tenant: string; created_at: number }, b: { tenant: string; created_at: number }) =>
        a.created_at - b.created_at || (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : 0);
      const open = (await store.openAt(probe)).filter((o) => tenants.includes(o.tenant)).sort(order);
      assert.deepEqual(open, (await model.openAt(probe)).sort(order));
    }),
    { numRuns: 60 },
  );
});
