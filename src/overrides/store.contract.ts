/** Contract every OverrideStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../core/ids.ts';
import type { Override, OverrideRevocation, OverrideStore } from './types.ts';

export const HASH_A = 'sha256:' + 'a'.repeat(64);
export const HASH_B = 'sha256:' + 'b'.repeat(64);
const T0 = 1_700_000_000_000;

export function sampleOverride(overrides: Partial<Override> = {}): Override {
  return {
    id: newId('ovr'),
    scope: { kind: 'action', action_hash: HASH_A, tenant: 'acme' },
    owner: { user: 'sec', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] },
    justification: 'incident inc-42: refund blocked by a faulty rule',
    created_at: T0,
    expires_at: T0 + 3_600_000,
    uses: 0,
    ...overrides,
  };
}

const revocation: OverrideRevocation = {
  revoked_at: T0 + 60_000,
  revoked_by: { user: 'lead', tenant: 'acme', issuer: 'https://idp.example', roles: ['security-admin'] },
  revoke_justification: 'rule fixed',
};

/** `reopen`, when given, closes the store and opens a new one over the same data (durable adapters). */
export function runOverrideStoreContract(
  name: string,
  makeStore: () => Promise<OverrideStore>,
  reopen?: (store: OverrideStore) => Promise<OverrideStore>,
): void {
  test(`${name}: an override reads back exactly`, async () => {
    const store = await makeStore();
    const action = sampleOverride();
    const tool = sampleOverride({ scope: { kind: 'tool', tool: 'billing.refund', tenant: 'acme' } });
    await store.create(action);
    await store.create(tool);
    assert.deepEqual(await store.get(action.id), action);
    assert.deepEqual(await store.get(tool.id), tool);
    assert.equal(await store.get(newId('ovr')), null);
  });

  test(`${name}: an id cannot be created twice`, async () => {
    const store = await makeStore();
    const o = sampleOverride();
    await store.create(o);
    await assert.rejects(store.create({ ...o, justification: 'other' }));
    assert.equal((await store.get(o.id))?.justification, o.justification);
  });

  test(`${name}: listing is per tenant, oldest first`, async () => {
    const store = await makeStore();
    const a = sampleOverride({ created_at: T0 + 2 });
    const b = sampleOverride({ created_at: T0 + 1 });
    const other = sampleOverride({ scope: { kind: 'action', action_hash: HASH_A, tenant: 'globex' } });
    for (const o of [a, b, other]) await store.create(o);
    assert.deepEqual((await store.list({ tenant: 'acme' })).map((o) => o.id), [b.id, a.id]);
    assert.deepEqual((await store.list({ tenant: 'globex' })).map((o) => o.id), [other.id]);
    assert.deepEqual(await store.list({ tenant: 'initech' }), []);
  });

  test(`${name}: candidates match the action hash or the tool, in the tenant, not revoked or marked expired`, async () => {
    const store = await makeStore();
    const action = sampleOverride({ created_at: T0 + 1 });
    const tool = sampleOverride({ scope: { kind: 'tool', tool: 'billing.refund', tenant: 'acme' } });
    const otherHash = sampleOverride({ scope: { kind: 'action', action_hash: HASH_B, tenant: 'acme' } });
    const otherTool = sampleOverride({ scope: { kind: 'tool', tool: 'crm.delete', tenant: 'acme' } });
    const otherTenant = sampleOverride({ scope: { kind: 'action', action_hash: HASH_A, tenant: 'globex' } });
    const revoked = sampleOverride();
    const expired = sampleOverride({ expires_at: T0 + 10 });
    // A tool named like the hash must not match an action scope, and the reverse.
    const confusable = sampleOverride({ scope: { kind: 'tool', tool: HASH_A, tenant: 'acme' } });
    for (const o of [action, tool, otherHash, otherTool, otherTenant, revoked, expired, confusable]) await store.create(o);
    assert.equal(await store.revoke(revoked.id, revocation), true);
    assert.equal(await store.markExpired(expired.id, T0 + 10), true);
    const found = await store.candidates({ tenant: 'acme', actionHash: HASH_A, tool: 'billing.refund' });
    assert.deepEqual(found.map((o) => o.id).sort(), [action.id, tool.id].sort());
    assert.deepEqual(await store.candidates({ tenant: 'initech', actionHash: HASH_A, tool: 'billing.refund' }), []);
  });

  test(`${name}: openAt lists the overrides open at a time, every tenant, and nothing closed or past expiry`, async () => {
    const store = await makeStore();
    const a = sampleOverride({ created_at: T0 + 1 });
    const b = sampleOverride({ created_at: T0 + 2, scope: { kind: 'tool', tool: 'billing.refund', tenant: 'globex' } });
    const revoked = sampleOverride({ created_at: T0 + 3 });
    const marked = sampleOverride({ created_at: T0 + 4, expires_at: T0 + 10 });
    const lapsed = sampleOverride({ created_at: T0 + 5, expires_at: T0 + 20 });
    for (const o of [a, b, revoked, marked, lapsed]) await store.create(o);
    assert.equal(await store.revoke(revoked.id, revocation), true);
    assert.equal(await store.markExpired(marked.id, T0 + 10), true);
    const open = await store.openAt(T0 + 20);
    assert.deepEqual(
      open.sort((x, y) => x.created_at - y.created_at),
      [
        { tenant: 'acme', created_at: T0 + 1 },
        { tenant: 'globex', created_at: T0 + 2 },
      ],
    );
  });

  test(`${name}: revoke only while open, once`, async () => {
    const store = await makeStore();
    const o = sampleOverride();
    await store.create(o);
    assert.equal(await store.revoke(o.id, revocation), true);
    assert.deepEqual(await store.get(o.id), { ...o, ...revocation });
    assert.equal(await store.revoke(o.id, { ...revocation, revoked_at: revocation.revoked_at + 1, revoke_justification: 'again' }), false);
    assert.equal((await store.get(o.id))?.revoke_justification, 'rule fixed');
    assert.equal(await store.revoke(newId('ovr'), revocation), false);
    const late = sampleOverride();
    await store.create(late);
    assert.equal(await store.revoke(late.id, { ...revocation, revoked_at: late.expires_at }), false, 'past expiry');
    assert.equal(await store.markExpired(o.id, o.expires_at), false, 'a revoked override is not marked expired');
  });

  test(`${name}: markExpired only at or after expiry, once`, async () => {
    const store = await makeStore();
    const o = sampleOverride();
    await store.create(o);
    assert.equal(await store.markExpired(o.id, o.expires_at - 1), false);
    assert.equal(await store.markExpired(o.id, o.expires_at), true);
    assert.equal(await store.markExpired(o.id, o.expires_at + 5), false);
    assert.deepEqual(await store.get(o.id), { ...o, expired_at: o.expires_at });
    assert.equal(await store.revoke(o.id, { ...revocation, revoked_at: o.expires_at - 1 }), false, 'an expired override is not revoked');
  });

  test(`${name}: recordUse counts only while open`, async () => {
    const store = await makeStore();
    const o = sampleOverride();
    await store.create(o);
    assert.equal((await store.recordUse(o.id, T0))?.uses, 1);
    assert.equal((await store.recordUse(o.id, o.expires_at - 1))?.uses, 2);
    assert.equal(await store.recordUse(o.id, o.expires_at), null, 'at expiry');
    assert.equal(await store.recordUse(newId('ovr'), T0), null);
    assert.equal((await store.get(o.id))?.uses, 2);
    assert.equal(await store.revoke(o.id, revocation), true);
    assert.equal(await store.recordUse(o.id, T0), null, 'revoked');
    assert.equal((await store.get(o.id))?.uses, 2);
  });

  test(`${name}: concurrent uses are all counted; of concurrent revocations exactly one wins`, async () => {
    const store = await makeStore();
    for (let trial = 0; trial < 20; trial++) {
      const o = sampleOverride();
      await store.create(o);
      await Promise.all(Array.from({ length: 10 }, () => store.recordUse(o.id, T0)));
      assert.equal((await store.get(o.id))?.uses, 10);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.revoke(o.id, { ...revocation, revoke_justification: `r${i}` })),
      );
      assert.equal(results.filter(Boolean).length, 1, `trial ${trial}: ${results.join(',')}`);
      assert.equal((await store.get(o.id))?.revoke_justification, `r${results.indexOf(true)}`);
    }
  });

  if (reopen !== undefined) {
    test(`${name}: every field survives closing and reopening`, async () => {
      const store = await makeStore();
      const revokedOne = sampleOverride();
      const expiredOne = sampleOverride({ scope: { kind: 'tool', tool: 'billing.refund', tenant: 'acme' } });
      const used = sampleOverride({ created_at: T0 + 5 });
      for (const o of [revokedOne, expiredOne, used]) await store.create(o);
      await store.revoke(revokedOne.id, revocation);
      await store.markExpired(expiredOne.id, expiredOne.expires_at + 7);
      await store.recordUse(used.id, T0 + 6);
      const before = await store.list({ tenant: 'acme' });
      const again = await reopen(store);
      assert.deepEqual(await again.list({ tenant: 'acme' }), before);
      assert.deepEqual(await again.get(revokedOne.id), { ...revokedOne, ...revocation });
      assert.equal((await again.get(expiredOne.id))?.expired_at, expiredOne.expires_at + 7);
      assert.equal((await again.get(used.id))?.uses, 1);
      assert.deepEqual(
        (await again.candidates({ tenant: 'acme', actionHash: HASH_A, tool: 'billing.refund' })).map((o) => o.id),
        [used.id],
      );
    });
  }
}
