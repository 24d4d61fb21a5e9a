/**
 * PostgresApprovalStore against the PostgreSQL of this machine: the approval store contract
 * (a fresh schema per store), consumption exactly once across two pools (two replicas), and
 * transition sequences that agree with the memory adapter. Every schema is dropped at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryApprovalStore } from '../../approvals/memory-store.ts';
import { runApprovalStoreContract, sampleApprovalRequest } from '../../approvals/store.contract.ts';
import { newId } from '../../core/ids.ts';
import type { ApprovalPatch, ApprovalRequest } from '../../approvals/index.ts';
import { PostgresApprovalStore } from './approvals.ts';
import { PostgresDatabase } from './database.ts';
import { schemasDroppedAfter } from './test-support.ts';

const freshSchema = schemasDroppedAfter();

runApprovalStoreContract('postgres', async () => new PostgresApprovalStore((await freshSchema()).db));

const STATES: ApprovalRequest['state'][] = ['pending', 'approved', 'denied', 'expired', 'consumed'];

test('postgres: across two replicas an approved request is consumed exactly once (200 trials of 8 concurrent consumers)', async () => {
  const pg = await freshSchema();
  const replicas = [new PostgresApprovalStore(pg.db), new PostgresApprovalStore(pg.open())] as const;
  for (let trial = 0; trial < 200; trial++) {
    const request = sampleApprovalRequest({ state: 'approved' });
    await replicas[trial % 2]!.create(request);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => replicas[i % 2]!.transition(request.id, 'approved', 'consumed', { consumed_at: i })),
    );
    assert.equal(results.filter(Boolean).length, 1, `trial ${trial}: ${results.join(',')}`);
    const winner = results.indexOf(true);
    for (const replica of replicas) {
      const read = await replica.get(request.id);
      assert.equal(read?.state, 'consumed');
      assert.equal(read?.consumed_at, winner, `trial ${trial}: the winner's patch is the one kept`);
    }
  }
});

test('postgres: of concurrent decisions on two replicas (approve, deny, expire) exactly one lands, and only its patch', async () => {
  const pg = await freshSchema();
  const replicas = [new PostgresApprovalStore(pg.db), new PostgresApprovalStore(pg.open())] as const;
  const targets: ApprovalRequest['state'][] = ['approved', 'denied', 'expired'];
  for (let trial = 0; trial < 50; trial++) {
    const request = sampleApprovalRequest();
    await replicas[0].create(request);
    const attempts = Array.from({ length: 9 }, (_, i) => ({ to: targets[i % 3]!, patch: { justification: `j${i}`, decided_at: i } }));
    const results = await Promise.all(attempts.map((a, i) => replicas[i % 2]!.transition(request.id, 'pending', a.to, a.patch)));
    assert.equal(results.filter(Boolean).length, 1, `trial ${trial}: ${results.join(',')}`);
    const winner = attempts[results.indexOf(true)]!;
    assert.deepEqual(await replicas[1].get(request.id), { ...request, ...winner.patch, state: winner.to });
  }
});

test('postgres: a duplicate id is refused with a stable code; text with NUL and lone surrogates reads back exactly', async () => {
  const store = new PostgresApprovalStore((await freshSchema()).db);
  const request = sampleApprovalRequest({
    summary: 'nul \u0000 here, lone \ud800 surrogate, emoji \u{1f600}',
    evidence: { context_manifest_hash: null, tainted_arguments: [] },
  });
  await store.create(request);
  assert.deepEqual(await store.get(request.id), request);
  await assert.rejects(store.create(request), { code: 'ERR_APPROVAL_DUPLICATE', status: 409 });
  assert.equal(await store.transition(request.id, 'pending', 'denied', { justification: 'bad \u0000 input' }), true);
  assert.equal((await store.get(request.id))?.justification, 'bad \u0000 input');
  // A key PostgreSQL could not hold names nothing (as on every adapter), and a value it cannot hold is refused, not truncated.
  assert.equal(await store.get(`${request.id}\u0000`), null);
  assert.equal(await store.transition(`${request.id}\u0000`, 'denied', 'approved'), false);
  assert.deepEqual(await store.list({ tenant: 'acme\u0000' }), []);
  await assert.rejects(store.create(sampleApprovalRequest({ tenant: 'acme\u0000' })), { code: 'ERR_STORE_VALUE_UNREPRESENTABLE', status: 400 });
});

test('postgres: a database that does not answer is ERR_STORE_UNAVAILABLE on every method', async () => {
  const db = PostgresDatabase.open({ url: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
  try {
    const store = new PostgresApprovalStore(db);
    const unavailable = { code: 'ERR_STORE_UNAVAILABLE', status: 503 };
    await assert.rejects(store.create(sampleApprovalRequest()), unavailable);
    await assert.rejects(store.get(newId('apr')), unavailable);
    await assert.rejects(store.list({ tenant: 'acme' }), unavailable);
    await assert.rejects(store.pendingByTenant(0), unavailable);
    await assert.rejects(store.transition(newId('apr'), 'pending', 'approved'), unavailable);
  } finally {
    await db.close();
  }
});

// ---------------------------------------------------------------------------------------
// Property: any sequence of creations and transitions gives the same answers and the same
// stored requests on PostgreSQL as on the memory adapter.
// ---------------------------------------------------------------------------------------

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('\u0000', '\ud800x', 'é\u{1f600}'));
const patchArb: fc.Arbitrary<ApprovalPatch> = fc.record(
  {
    decided_by: fc.record({ user: text, issuer: fc.constant('https://idp.example'), roles: fc.array(text, { maxLength: 2 }) }),
    decided_at: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    justification: text,
    token_jti: text,
    consumed_at: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    expired_at: fc.integer({ min: 0, max: 2_000_000_000_000 }),
  },
  { requiredKeys: [] },
);
type Op =
  | { kind: 'create'; slot: number; tenant: number; state: ApprovalRequest['state']; expiresIn: number; summary: string }
  | { kind: 'transition'; slot: number; from: ApprovalRequest['state']; to: ApprovalRequest['state']; patch: ApprovalPatch };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    slot: fc.integer({ min: 0, max: 3 }),
    tenant: fc.integer({ min: 0, max: 1 }),
    state: fc.constantFrom(...STATES),
    expiresIn: fc.integer({ min: -5, max: 5 }),
    summary: text,
  }),
  fc.record({
    kind: fc.constant('transition' as const),
    slot: fc.integer({ min: 0, max: 4 }),
    from: fc.constantFrom(...STATES),
    to: fc.constantFrom(...STATES),
    patch: patchArb,
  }),
);

test('property: transition sequences on postgres agree with the memory adapter', async () => {
  const pg = await freshSchema();
  const store = new PostgresApprovalStore(pg.db);
  const NOW = 1_000;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (ops) => {
      run++;
      const model = new MemoryApprovalStore();
      // Ids and tenants of this run only: runs share the schema without seeing each other.
      const ids = Array.from({ length: 5 }, () => newId('apr'));
      const tenants = [`r${run}_acme`, `r${run}_globex`];
      let created = 0;
      for (const op of ops) {
        if (op.kind === 'create') {
          const request = sampleApprovalRequest({
            id: ids[op.slot]!,
            tenant: tenants[op.tenant]!,
            state: op.state,
            summary: op.summary,
            created_at: ++created,
            expires_at: NOW + op.expiresIn,
          });
          const expected = await model.create(request).then(() => 'ok', () => 'refused');
          const actual = await store.create(request).then(() => 'ok', () => 'refused');
          assert.equal(actual, expected, `create ${op.slot}`);
        } else {
          const expected = await model.transition(ids[op.slot]!, op.from, op.to, op.patch);
          assert.equal(await store.transition(ids[op.slot]!, op.from, op.to, op.patch), expected, `transition ${op.slot} ${op.from}->${op.to}`);
        }
      }
      for (const id of ids) assert.deepEqual(await store.get(id), await model.get(id));
      for (const tenant of tenants) {
        assert.deepEqual(await store.list({ tenant }), await model.list({ tenant }));
        for (const state of STATES) assert.deepEqual(await store.list({ tenant, state }), await model.list({ tenant, state }));
      }
      const ours = (await store.pendingByTenant(NOW)).filter((b) => tenants.includes(b.tenant));
      assert.deepEqual(ours, await model.pendingByTenant(NOW));
    }),
    { numRuns: 60 },
  );
});
