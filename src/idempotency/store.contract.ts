/**
 * Contract every IdempotencyStore adapter must meet (one claim per scope, also concurrently
 * through several handles; compare-and-set settling, releasing and resolving; durable
 * adapters keep everything across a restart); run by each adapter's test file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../core/ids.ts';
import { scopeOf } from './keys.ts';
import type { IdempotencyRecord, IdempotencyResolution, IdempotencyStore } from './types.ts';

const T0 = 1_767_225_600_000;

export function sampleRecord(overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  const owner = overrides.owner ?? { tenant: 'acme', issuer: 'https://idp.example', user: 'sam', agent: 'helper' };
  const key = overrides.key ?? `key-${newId('req')}`;
  return {
    id: newId('idm'),
    scope: scopeOf(owner, key),
    owner,
    key,
    tool: 'billing.refund',
    fingerprint: 'sha256:aaaa',
    state: 'pending',
    request_id: newId('req'),
    action_id: newId('act'),
    session_id: null,
    created_at: T0,
    updated_at: T0,
    lease_until: T0 + 10_000,
    ...overrides,
  };
}

const operatorResolution = (outcome: IdempotencyResolution['outcome'], at = T0 + 60_000): IdempotencyResolution => ({
  via: 'operator',
  outcome,
  by: { user: 'olga', tenant: 'acme', issuer: 'https://idp.example' },
  justification: 'checked the ledger',
  at,
});

export interface IdempotencyHarness {
  store: IdempotencyStore;
  /** Another handle on the same storage (a second connection / pool / replica; memory: itself). */
  another(): Promise<IdempotencyStore>;
  /** Closes every handle and opens the storage again; absent for an adapter that forgets on restart. */
  restart?: () => Promise<IdempotencyStore>;
  close?: () => Promise<void>;
}

async function yieldTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function runIdempotencyStoreContract(name: string, makeHarness: () => Promise<IdempotencyHarness>, options: { propertyRuns?: number } = {}): void {
  const withHarness = (title: string, body: (h: IdempotencyHarness) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const harness = await makeHarness();
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    });

  withHarness('a scope is claimed once; a later claim gets the record holding it', async ({ store }) => {
    const first = sampleRecord();
    const claimed = await store.claim(first);
    assert.equal(claimed.claimed, true);
    assert.deepEqual(claimed.record, first);
    const again = await store.claim({ ...sampleRecord({ key: first.key, owner: first.owner }), fingerprint: 'sha256:bbbb' });
    assert.equal(again.claimed, false);
    assert.equal(again.record.id, first.id);
    assert.equal(again.record.fingerprint, 'sha256:aaaa');
    assert.deepEqual(await store.find(first.scope), first);
    assert.deepEqual(await store.get(first.id), first);
    assert.equal(await store.get(newId('idm')), null);
    assert.equal(await store.find('sha256:none'), null);
    // The same key of another principal is another scope.
    const other = sampleRecord({ key: first.key, owner: { ...first.owner, user: 'fin' } });
    assert.equal((await store.claim(other)).claimed, true);
  });

  withHarness('settle moves a pending record claimed by the same action, once', async ({ store }) => {
    const record = sampleRecord();
    await store.claim(record);
    assert.equal(await store.settle(record.id, newId('act'), { state: 'completed', outcome: { result: 1 }, at: T0 + 1 }), null, 'another action cannot settle it');
    const settled = await store.settle(record.id, record.action_id, { state: 'completed', outcome: { result: { refund: 'r_1', amount: 12.5 }, result_trust: 'untrusted' }, at: T0 + 5 });
    assert.equal(settled?.state, 'completed');
    assert.deepEqual(settled?.outcome, { result: { refund: 'r_1', amount: 12.5 }, result_trust: 'untrusted' });
    assert.equal(settled?.updated_at, T0 + 5);
    assert.equal(await store.settle(record.id, record.action_id, { state: 'failed', outcome: { error: { code: 'ERR_X', message: 'x' } }, at: T0 + 6 }), null);
    assert.equal((await store.find(record.scope))?.state, 'completed');
  });

  withHarness('release drops only a pending claim of the same action; the scope can then be claimed again', async ({ store }) => {
    const record = sampleRecord();
    await store.claim(record);
    assert.equal(await store.release(record.id, newId('act')), false);
    assert.equal(await store.release(record.id, record.action_id), true);
    assert.equal(await store.find(record.scope), null);
    assert.equal(await store.release(record.id, record.action_id), false);
    const next = sampleRecord({ key: record.key, owner: record.owner });
    assert.equal((await store.claim(next)).claimed, true);
    await store.settle(next.id, next.action_id, { state: 'completed', outcome: { result: null }, at: T0 + 1 });
    assert.equal(await store.release(next.id, next.action_id), false, 'a settled record is never released');
  });

  withHarness('resolve settles an unknown outcome only: executed completes it, not_executed frees the key', async ({ store }) => {
    const unknown = sampleRecord();
    await store.claim(unknown);
    assert.equal(await store.resolve(unknown.id, operatorResolution('executed'), T0 + 1), null, 'pending within its lease is not unknown');
    await store.settle(unknown.id, unknown.action_id, { state: 'outcome_unknown', outcome: { error: { code: 'ERR_CONNECTOR_TIMEOUT', message: 'timed out' } }, at: T0 + 2 });
    const executed = await store.resolve(unknown.id, operatorResolution('executed'), T0 + 3);
    assert.equal(executed?.state, 'completed');
    assert.equal(executed?.resolution?.outcome, 'executed');
    assert.equal(executed?.resolution?.by?.user, 'olga');
    assert.deepEqual(executed?.outcome, { result_omitted: true }, 'it ran; its result was never seen (the timeout error is gone)');
    assert.deepEqual((await store.get(unknown.id))?.outcome, { result_omitted: true });
    assert.equal(await store.resolve(unknown.id, operatorResolution('not_executed'), T0 + 4), null, 'resolved once');
    assert.equal((await store.get(unknown.id))?.state, 'completed');

    const stale = sampleRecord();
    await store.claim(stale);
    const freed = await store.resolve(stale.id, { ...operatorResolution('not_executed'), via: 'status_check', by: null }, stale.lease_until + 1);
    assert.equal(freed?.resolution?.outcome, 'not_executed');
    assert.equal(await store.get(stale.id), null);
    assert.equal(await store.find(stale.scope), null);
    assert.equal((await store.claim(sampleRecord({ key: stale.key, owner: stale.owner }))).claimed, true);
  });

  withHarness('list answers one tenant, newest first, by stored state, bounded; purge drops old settled records only', async ({ store }) => {
    const beta = { tenant: 'beta', issuer: 'https://idp.example', user: 'bob', agent: null };
    const a = sampleRecord({ created_at: T0 });
    const b = sampleRecord({ created_at: T0 + 1 });
    const c = sampleRecord({ created_at: T0 + 2 });
    const d = sampleRecord({ created_at: T0 + 3, owner: beta });
    for (const r of [a, b, c, d]) await store.claim(r);
    await store.settle(a.id, a.action_id, { state: 'completed', outcome: { result: 1 }, at: T0 + 10 });
    await store.settle(b.id, b.action_id, { state: 'outcome_unknown', outcome: {}, at: T0 + 10 });
    await store.settle(c.id, c.action_id, { state: 'failed', outcome: { error: { code: 'ERR_X', message: 'no' } }, at: T0 + 20 });
    assert.deepEqual((await store.list('acme')).map((r) => r.id), [c.id, b.id, a.id]);
    assert.deepEqual((await store.list('acme', { limit: 2 })).map((r) => r.id), [c.id, b.id]);
    assert.deepEqual((await store.list('acme', { state: 'outcome_unknown' })).map((r) => r.id), [b.id]);
    assert.deepEqual((await store.list('beta')).map((r) => r.id), [d.id]);
    assert.equal(await store.purge(T0 + 15), 1, 'the completed record of T0+10');
    assert.equal(await store.get(a.id), null);
    assert.equal(await store.purge(T0 + 1_000_000), 1, 'the failed one; never the unknown or pending ones');
    assert.deepEqual((await store.list('acme')).map((r) => r.id), [b.id]);
    assert.equal((await store.list('beta')).length, 1);
  });

  withHarness('16 concurrent claims of one scope through two handles: exactly one claims, all see its record', async (h) => {
    const other = await h.another();
    const base = sampleRecord();
    const attempts = Array.from({ length: 16 }, (_, i) => sampleRecord({ key: base.key, owner: base.owner, fingerprint: `sha256:${i}` }));
    const results = await Promise.all(attempts.map((r, i) => (i % 2 === 0 ? h.store : other).claim(r)));
    const winners = results.filter((r) => r.claimed);
    assert.equal(winners.length, 1);
    const winner = winners[0]?.record.id;
    for (const r of results) assert.equal(r.record.id, winner);
  });

  withHarness('concurrent resolutions of one unknown outcome through two handles: exactly one applies', async (h) => {
    const other = await h.another();
    const record = sampleRecord();
    await h.store.claim(record);
    await h.store.settle(record.id, record.action_id, { state: 'outcome_unknown', outcome: {}, at: T0 + 1 });
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? h.store : other).resolve(record.id, operatorResolution(i % 3 === 0 ? 'not_executed' : 'executed'), T0 + 2)),
    );
    assert.equal(outcomes.filter((o) => o !== null).length, 1);
  });

  withHarness('property: whatever the interleaving of claims on two handles, each scope is claimed exactly once', async (h) => {
    const handles = [h.store, await h.another()];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ handle: fc.integer({ min: 0, max: 1 }), key: fc.integer({ min: 0, max: 3 }), turns: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 16 }),
        async (ops) => {
          const prefix = `run${run++}-`;
          const results = await Promise.all(
            ops.map(async (op) => {
              await yieldTurns(op.turns);
              const r = await (handles[op.handle] as IdempotencyStore).claim(sampleRecord({ key: prefix + op.key }));
              return { key: op.key, ...r };
            }),
          );
          for (const key of new Set(ops.map((op) => op.key))) {
            const mine = results.filter((r) => r.key === key);
            assert.equal(mine.filter((r) => r.claimed).length, 1, `key ${key} claimed once`);
            assert.equal(new Set(mine.map((r) => r.record.id)).size, 1);
          }
        },
      ),
      { numRuns: options.propertyRuns ?? 40 },
    );
  });

  withHarness('a restart keeps every record and its state (durable adapters)', async (h) => {
    if (h.restart === undefined) {
      assert.equal(name, 'memory', 'only the memory adapter may forget its records on restart');
      return;
    }
    const done = sampleRecord();
    const unknown = sampleRecord();
    await h.store.claim(done);
    await h.store.claim(unknown);
    await h.store.settle(done.id, done.action_id, { state: 'completed', outcome: { result: { ok: true, note: 'é✓' } }, at: T0 + 1 });
    await h.store.settle(unknown.id, unknown.action_id, { state: 'outcome_unknown', outcome: { error: { code: 'ERR_CONNECTOR_TIMEOUT', message: 't' } }, at: T0 + 1 });
    const reopened = await h.restart();
    assert.deepEqual((await reopened.find(done.scope))?.outcome, { result: { ok: true, note: 'é✓' } });
    assert.equal((await reopened.get(unknown.id))?.state, 'outcome_unknown');
    assert.equal((await reopened.claim(sampleRecord({ key: done.key, owner: done.owner }))).claimed, false);
  });
}
