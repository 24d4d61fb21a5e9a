/** Contract every RevocationStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RevocationStore, RevocationSubject, RevocationTarget } from './types.ts';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, ms

function subject(overrides: Partial<RevocationSubject> = {}): RevocationSubject {
  return {
    jti: 'jti_a',
    user: 'sam',
    tenant: 'acme',
    audience: 'crm',
    agent: 'support-agent',
    tool: 'crm.getCustomer',
    session: 'ses_1',
    issuedAt: T0 / 1000,
    ...overrides,
  };
}

/**
 * The specification of which credentials a target reaches, written out independently of the
 * adapters' keys: the claim named by the target matches, and a tenant-confined target (user,
 * tenant-confined connector, agent, tool, session with a tenant) matches the tenant too.
 */
function reaches(target: RevocationTarget, s: RevocationSubject): boolean {
  const inTenant = (tenant: string | null | undefined): boolean => tenant === null || tenant === undefined || tenant === s.tenant;
  switch (target.kind) {
    case 'jti':
      return s.jti === target.jti;
    case 'user':
      return s.tenant === target.tenant && s.user === target.user;
    case 'tenant':
      return s.tenant === target.tenant;
    case 'connector':
      return s.audience === target.audience && inTenant(target.tenant);
    case 'agent':
      return s.agent === target.agent && inTenant(target.tenant);
    case 'tool':
      return s.tool === target.tool && inTenant(target.tenant);
    case 'session':
      return s.session === target.session && inTenant(target.tenant);
    case 'global':
      return true;
  }
}

// Small alphabets, so targets and credentials often meet; values shaped like the adapters'
// composite keys, so a key collision between kinds or tenants would show.
const tenantArb = fc.constantFrom('acme', 'a"b', '["acme","x"]');
const idArb = fc.constantFrom('x', 'acme', '["acme","x"]', '[null,"x"]');
const optionalIdArb = fc.oneof(fc.constant(null), idArb);
const subjectArb: fc.Arbitrary<RevocationSubject> = fc.record({
  jti: fc.constantFrom('jti_a', 'x'),
  user: idArb,
  tenant: tenantArb,
  audience: idArb,
  agent: optionalIdArb,
  tool: optionalIdArb,
  session: optionalIdArb,
  issuedAt: fc.integer({ min: T0 / 1000 - 2, max: T0 / 1000 + 25 }),
});
const scopeArb = fc.oneof(fc.constant(null), tenantArb);
const targetArb: fc.Arbitrary<RevocationTarget> = fc.oneof(
  fc.record({ kind: fc.constant('jti' as const), jti: fc.constantFrom('jti_a', 'x') }),
  fc.record({ kind: fc.constant('user' as const), tenant: tenantArb, user: idArb }),
  fc.record({ kind: fc.constant('tenant' as const), tenant: tenantArb }),
  fc.record({ kind: fc.constant('connector' as const), audience: idArb }),
  fc.record({ kind: fc.constant('connector' as const), audience: idArb, tenant: tenantArb }),
  fc.record({ kind: fc.constant('agent' as const), tenant: scopeArb, agent: idArb }),
  fc.record({ kind: fc.constant('tool' as const), tenant: scopeArb, tool: idArb }),
  fc.record({ kind: fc.constant('session' as const), tenant: scopeArb, session: idArb }),
  fc.constant({ kind: 'global' as const }),
);
const entryArb = fc.record({
  target: targetArb,
  revokedAt: fc.integer({ min: T0, max: T0 + 20_000 }),
  expiresAt: fc.constant(T0 + 600_000),
});

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

  const WIDE: Array<[string, RevocationTarget, RevocationSubject[]]> = [
    ['user', { kind: 'user', tenant: 'acme', user: 'sam' }, [subject({ user: 'kim' }), subject({ tenant: 'globex' })]],
    ['tenant', { kind: 'tenant', tenant: 'acme' }, [subject({ tenant: 'globex' })]],
    ['connector', { kind: 'connector', audience: 'crm' }, [subject({ audience: 'mail' })]],
    ['tenant-confined connector', { kind: 'connector', audience: 'crm', tenant: 'acme' }, [subject({ audience: 'mail' }), subject({ tenant: 'globex' })]],
    ['agent', { kind: 'agent', tenant: 'acme', agent: 'support-agent' }, [subject({ agent: 'billing-agent' }), subject({ agent: null }), subject({ tenant: 'globex' })]],
    ['fleet-wide agent', { kind: 'agent', tenant: null, agent: 'support-agent' }, [subject({ agent: 'billing-agent' }), subject({ agent: null })]],
    ['tool', { kind: 'tool', tenant: 'acme', tool: 'crm.getCustomer' }, [subject({ tool: 'crm.list' }), subject({ tool: null }), subject({ tenant: 'globex' })]],
    ['fleet-wide tool', { kind: 'tool', tenant: null, tool: 'crm.getCustomer' }, [subject({ tool: 'crm.list' }), subject({ tool: null })]],
    ['session', { kind: 'session', tenant: 'acme', session: 'ses_1' }, [subject({ session: 'ses_2' }), subject({ session: null }), subject({ tenant: 'globex' })]],
    ['fleet-wide session', { kind: 'session', tenant: null, session: 'ses_1' }, [subject({ session: 'ses_2' }), subject({ session: null })]],
    ['global', { kind: 'global' }, []],
  ];
  for (const [kind, target, others] of WIDE) {
    test(`${name}: a ${kind} revocation covers credentials issued at or before it, not after`, async () => {
      const store = await makeStore();
      const entry = { target, revokedAt: T0 + 10_500, expiresAt: T0 + 400_000 };
      await store.revoke(entry);
      assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 })), entry, 'issued before');
      assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 + 10 })), entry, 'same second counts as revoked');
      assert.equal(await store.check(subject({ issuedAt: T0 / 1000 + 11 })), null, 'issued after');
      for (const other of others) assert.equal(await store.check(other), null, `another subject: ${JSON.stringify(other)}`);
    });

    test(`${name}: a ${kind} revocation is purged once expired, like the others`, async () => {
      const store = await makeStore();
      await store.revoke({ target, revokedAt: T0 + 10_000, expiresAt: T0 + 20_000 });
      assert.equal(await store.purge(T0 + 19_999), 0);
      assert.notEqual(await store.check(subject()), null);
      assert.equal(await store.purge(T0 + 20_000), 1);
      assert.equal(await store.check(subject()), null);
    });
  }

  test(`${name}: a fleet-wide and a tenant-confined revocation of the same claim are distinct entries`, async () => {
    const store = await makeStore();
    const confined = { target: { kind: 'agent' as const, tenant: 'acme', agent: 'support-agent' }, revokedAt: T0 + 5_000, expiresAt: T0 + 10_000 };
    const wide = { target: { kind: 'agent' as const, tenant: null, agent: 'support-agent' }, revokedAt: T0 + 1_000, expiresAt: T0 + 20_000 };
    await store.revoke(confined);
    await store.revoke(wide);
    assert.deepEqual(await store.check(subject({ issuedAt: T0 / 1000 + 3 })), confined, 'only the confined one is late enough');
    assert.deepEqual(await store.check(subject({ tenant: 'globex' })), wide);
    assert.equal(await store.check(subject({ tenant: 'globex', issuedAt: T0 / 1000 + 3 })), null);
    assert.equal(await store.purge(T0 + 10_000), 1);
    assert.equal(await store.check(subject({ issuedAt: T0 / 1000 + 3 })), null);
    assert.deepEqual(await store.check(subject()), wide);
    const connector = { target: { kind: 'connector' as const, audience: 'crm' }, revokedAt: T0, expiresAt: T0 + 30_000 };
    const confinedConnector = { target: { kind: 'connector' as const, audience: 'crm', tenant: 'acme' }, revokedAt: T0 + 5_000, expiresAt: T0 + 30_000 };
    await store.revoke(connector);
    await store.revoke(confinedConnector);
    assert.equal(await store.purge(T0 + 30_000), 3, 'two connector entries and the agent one');
  });

  test(`${name}: property: revocations cover a credential iff one reaches its claims and was made at or after its issue`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 4 }), fc.array(subjectArb, { minLength: 1, maxLength: 8 }), async (entries, subjects) => {
        const store = await makeStore();
        for (const entry of entries) await store.revoke(entry);
        for (const s of subjects) {
          const expected = entries.some((e) => reaches(e.target, s) && (e.target.kind === 'jti' || s.issuedAt * 1000 <= e.revokedAt));
          const got = await store.check(s);
          assert.equal(got !== null, expected, JSON.stringify({ entries, s, got }));
          if (got !== null) {
            assert.ok(reaches(got.target, s), 'the returned entry reaches the credential');
            assert.ok(got.target.kind === 'jti' || s.issuedAt * 1000 <= got.revokedAt, 'the returned entry is late enough');
            assert.ok(entries.some((e) => JSON.stringify(e.target) === JSON.stringify(got.target)), 'the returned entry was revoked');
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  test(`${name}: revokedSince returns exactly the entries revoked at or after the time, of every kind`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entryArb, { maxLength: 5 }), fc.integer({ min: T0 - 1, max: T0 + 20_001 }), async (entries, since) => {
        const store = await makeStore();
        for (const entry of entries) await store.revoke(entry);
        // What the store holds per target: the latest revokedAt (a revocation never shrinks).
        const latest = new Map<string, number>();
        for (const e of entries) latest.set(JSON.stringify(e.target), Math.max(latest.get(JSON.stringify(e.target)) ?? -Infinity, e.revokedAt));
        const expected = [...latest].filter(([, at]) => at >= since).map(([target, at]) => `${target}@${at}`).sort();
        const got = (await store.revokedSince(since)).map((e) => `${JSON.stringify(e.target)}@${e.revokedAt}`).sort();
        assert.deepEqual(got, expected);
      }),
      { numRuns: 40 },
    );
  });

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
