/**
 * The broker's mint check answers like the store's own check for a fresh credential, reads the
 * store at most once per refresh window, sees a revocation made through the broker at once and
 * one stored elsewhere (another process, another replica) after the window, and fails closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import { CredentialBroker } from './broker.ts';
import { MemoryRevocationStore } from './memory-revocations.ts';
import { MINT_CHECK_REFRESH_MS, MintRevocationCheck } from './mint-check.ts';
import { ISSUER, KEY, request } from './test-support.ts';
import type { RevocationEntry, RevocationSubject, RevocationTarget } from './types.ts';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0, 100);

/** A memory store that counts reads of recent revocations and can be made to fail. */
class CountingStore extends MemoryRevocationStore {
  reads = 0;
  failing = false;
  override async revokedSince(sinceMs: number): Promise<RevocationEntry[]> {
    this.reads++;
    if (this.failing) throw Object.assign(new Error('cannot read revocations'), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
    return super.revokedSince(sinceMs);
  }
}

function setup() {
  const clock = new ManualClock(T0);
  const store = new CountingStore();
  const broker = new CredentialBroker({ key: KEY, issuer: ISSUER, maxTtlSeconds: 600, clock, revocations: store });
  return { clock, store, broker };
}

test('mint check: one read of the store per refresh window, however many credentials are minted', async () => {
  const { clock, store, broker } = setup();
  for (let i = 0; i < 20; i++) await broker.mint(request());
  assert.equal(store.reads, 1);
  await Promise.all(Array.from({ length: 20 }, () => broker.mint(request())));
  assert.equal(store.reads, 1, 'concurrent mints share the read');
  clock.advance(MINT_CHECK_REFRESH_MS + 1);
  await broker.mint(request());
  assert.equal(store.reads, 2);
});

test('mint check: a revocation through the broker refuses the next mint at once, without a read', async () => {
  const { clock, store, broker } = setup();
  await broker.mint(request());
  const reads = store.reads;
  clock.advance(10);
  await broker.revoke({ kind: 'user', tenant: 'acme', user: 'sam' });
  await assert.rejects(broker.mint(request()), { code: 'ERR_CREDENTIAL_REVOKED' });
  assert.equal(store.reads, reads);
  await broker.mint(request({ principal: { user: 'kim', tenant: 'acme' } }));
});

test('mint check: a revocation stored by another process is seen once the snapshot is read again', async () => {
  const { clock, store, broker } = setup();
  await broker.mint(request());
  clock.advance(10);
  // Another replica (or the CLI) wrote to the shared store, not through this broker.
  await store.revoke({ target: { kind: 'tenant', tenant: 'acme' }, revokedAt: clock.now(), expiresAt: clock.now() + 900_000 });
  await broker.mint(request()); // within the window: not seen yet (verifiers ask the store itself)
  clock.advance(MINT_CHECK_REFRESH_MS + 1);
  assert.equal(Math.floor(clock.now() / 1000), Math.floor(T0 / 1000), 'still the revocation second');
  await assert.rejects(broker.mint(request()), { code: 'ERR_CREDENTIAL_REVOKED' });
});

test('mint check: a store that cannot be read refuses the mint, and the next one reads again', async () => {
  const { store, broker } = setup();
  store.failing = true;
  await assert.rejects(broker.mint(request()), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
  await assert.rejects(broker.mint(request()), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
  assert.equal(store.reads, 2, 'a failed read is not kept');
  store.failing = false;
  await broker.mint(request());
});

test('mint check: a read that started before a revocation through the broker does not hide it', async () => {
  const clock = new ManualClock(T0);
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  class SlowStore extends MemoryRevocationStore {
    override async revokedSince(sinceMs: number): Promise<RevocationEntry[]> {
      const read = await super.revokedSince(sinceMs); // read before the revocation below
      await gate;
      return read;
    }
  }
  const store = new SlowStore();
  const check = new MintRevocationCheck(store, clock);
  const subject = { jti: 'jti_fresh', user: 'sam', tenant: 'acme', audience: 'crm', agent: null, tool: null, session: null, issuedAt: Math.floor(T0 / 1000) };
  const early = check.check(subject);
  const entry = { target: { kind: 'user' as const, tenant: 'acme', user: 'sam' }, revokedAt: T0 + 5, expiresAt: T0 + 900_000 };
  await store.revoke(entry);
  check.revoked(entry);
  const late = check.check(subject);
  release();
  assert.equal(await early, null, 'concurrent with the revocation: either answer is right; this one read before it');
  assert.deepEqual(await late, entry);
  assert.deepEqual(await check.check(subject), entry, 'the stale read was not kept as the snapshot');
});

// Property: for a fresh credential, the mint check refuses exactly when the store's own check would.
const T0S = Math.floor(T0 / 1000);
const id = fc.constantFrom('x', 'acme', '["acme","x"]');
const optional = fc.oneof(fc.constant(null), id);
const tenantArb = fc.constantFrom('acme', 'a"b');
const scope = fc.oneof(fc.constant(null), tenantArb);
const targetArb: fc.Arbitrary<RevocationTarget> = fc.oneof(
  fc.record({ kind: fc.constant('jti' as const), jti: fc.constantFrom('jti_old', 'x') }),
  fc.record({ kind: fc.constant('user' as const), tenant: tenantArb, user: id }),
  fc.record({ kind: fc.constant('tenant' as const), tenant: tenantArb }),
  fc.record({ kind: fc.constant('connector' as const), audience: id }),
  fc.record({ kind: fc.constant('connector' as const), audience: id, tenant: tenantArb }),
  fc.record({ kind: fc.constant('agent' as const), tenant: scope, agent: id }),
  fc.record({ kind: fc.constant('tool' as const), tenant: scope, tool: id }),
  fc.record({ kind: fc.constant('session' as const), tenant: scope, session: id }),
  fc.constant({ kind: 'global' as const }),
);

test('mint check: property: for a fresh jti it answers as the store check does', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ target: targetArb, revokedAt: fc.integer({ min: T0 - 3_000, max: T0 + 3_000 }), expiresAt: fc.constant(T0 + 900_000) }), { maxLength: 5 }),
      fc.array(
        fc.record({ user: id, tenant: tenantArb, audience: id, agent: optional, tool: optional, session: optional, issuedAt: fc.integer({ min: T0S - 2, max: T0S + 2 }) }),
        { minLength: 1, maxLength: 6 },
      ),
      async (entries, subjects) => {
        const store = new MemoryRevocationStore();
        for (const entry of entries) await store.revoke(entry);
        for (const s of subjects) {
          const subject: RevocationSubject = { ...s, jti: 'jti_fresh' };
          const check = new MintRevocationCheck(store, new ManualClock(s.issuedAt * 1000));
          const expected = await store.check(subject);
          const got = await check.check(subject);
          assert.equal(got !== null, expected !== null, JSON.stringify({ entries, subject, got, expected }));
        }
      },
    ),
    { numRuns: 150 },
  );
});
