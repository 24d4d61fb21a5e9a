/** Contract every RevocationStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RevocationStore, RevocationSubject } from './types.ts';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, ms

function subject(overrides: Partial<RevocationSubject> = {}): RevocationSubject {
  return { jti: 'jti_a', user: 'sam', tenant: 'acme', audience: 'crm', issuedAt: T0 / 1000, ...overrides };
}

export function runRevocationStoreContract(name: string, makeStore: () => Promise<RevocationStore>): void {
  test(`${name}: nothing is revoked in an empty store`, async () => {
    const store = await makeStore();
    assert.equal(await store.check(subject()), null);
  });

  test(`${name}: a jti revocation covers that credential only, whenever it was issued`, async () => {
    const store = await makeStore();
    const entry = { target: { kind: 'jti' as const, jti: 'jti_a' }, revokedAt: T0, expiresAt: T0 + 60_000 };
    await store.revoke(entry);
    assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 + 30 })), entry);
    assert.equal(await store.check(subject({ jti: 'jti_b' })), null);
  });

  for (const [kind, target, other] of [
    ['user', { kind: 'user', tenant: 'acme', user: 'sam' }, subject({ user: 'kim' })],
    ['tenant', { kind: 'tenant', tenant: 'acme' }, subject({ tenant: 'globex' })],
    ['connector', { kind: 'connector', audience: 'crm' }, subject({ audience: 'mail' })],
  ] as const) {
    test(`${name}: a ${kind} revocation covers credentials issued at or before it, not after`, async () => {
      const store = await makeStore();
      const entry = { target, revokedAt: T0 + 10_500, expiresAt: T0 + 400_000 };
      await store.revoke(entry);
      assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 })), entry, 'issued before');
      assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 + 10 })), entry, 'same second counts as revoked');
      assert.equal(await store.check(subject({ issuedAt: T0 / 1000 + 11 })), null, 'issued after');
      assert.equal(await store.check(other), null, 'another subject');
    });
  }

  test(`${name}: a user revocation is tenant-scoped`, async () => {
    const store = await makeStore();
    await store.revoke({ target: { kind: 'user', tenant: 'acme', user: 'sam' }, revokedAt: T0, expiresAt: T0 + 1 });
    assert.equal(await store.check(subject({ tenant: 'globex' })), null);
    assert.notEqual(await store.check(subject()), null);
  });

  test(`${name}: keys with quotes, separators and unicode are kept apart`, async () => {
    const store = await makeStore();
    await store.revoke({ target: { kind: 'user', tenant: 'a"b', user: 'c/d' }, revokedAt: T0, expiresAt: T0 + 1 });
    assert.notEqual(await store.check(subject({ tenant: 'a"b', user: 'c/d' })), null);
    assert.equal(await store.check(subject({ tenant: 'a"b","c', user: 'd' })), null);
    assert.equal(await store.check(subject({ tenant: 'a', user: 'b","c/d' })), null);
    await store.revoke({ target: { kind: 'connector', audience: 'ü:crm' }, revokedAt: T0, expiresAt: T0 + 1 });
    assert.notEqual(await store.check(subject({ audience: 'ü:crm' })), null);
    assert.equal(await store.check(subject({ audience: 'u:crm' })), null);
  });

  test(`${name}: re-revoking never shrinks a revocation`, async () => {
    const store = await makeStore();
    const target = { kind: 'tenant' as const, tenant: 'acme' };
    await store.revoke({ target, revokedAt: T0 + 20_000, expiresAt: T0 + 500_000 });
    await store.revoke({ target, revokedAt: T0, expiresAt: T0 + 1 });
    assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 + 15 })), {
      target,
      revokedAt: T0 + 20_000,
      expiresAt: T0 + 500_000,
    });
    await store.revoke({ target, revokedAt: T0 + 30_000, expiresAt: T0 + 600_000 });
    assert.equal((await store.check(subject({ issuedAt: T0 / 1000 + 25 })))?.revokedAt, T0 + 30_000);
  });

  test(`${name}: purge drops only entries expired at the given time`, async () => {
    const store = await makeStore();
    await store.revoke({ target: { kind: 'jti', jti: 'jti_a' }, revokedAt: T0, expiresAt: T0 + 1_000 });
    await store.revoke({ target: { kind: 'jti', jti: 'jti_b' }, revokedAt: T0, expiresAt: T0 + 2_000 });
    assert.equal(await store.purge(T0 + 999), 0);
    assert.equal(await store.purge(T0 + 1_000), 1);
    assert.equal(await store.check(subject({ jti: 'jti_a' })), null);
    assert.notEqual(await store.check(subject({ jti: 'jti_b' })), null);
  });

  test(`${name}: returned entries are isolated from caller mutation`, async () => {
    const store = await makeStore();
    const target = { kind: 'jti' as const, jti: 'jti_a' };
    await store.revoke({ target, revokedAt: T0, expiresAt: T0 + 1 });
    target.jti = 'jti_z';
    const got = await store.check(subject());
    assert.ok(got !== null && got.target.kind === 'jti');
    if (got.target.kind === 'jti') got.target.jti = 'changed';
    assert.deepEqual((await store.check(subject()))?.target, { kind: 'jti', jti: 'jti_a' });
  });
}
