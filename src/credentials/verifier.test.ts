import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, createLocalJWKSet } from 'jose';
import { ManualClock } from '../core/clock.ts';
import { CredentialBroker } from './broker.ts';
import { MemoryCredentialUseStore } from './memory-credential-uses.ts';
import { MemoryRevocationStore } from './memory-revocations.ts';
import { ISSUER, KEY, OTHER_KEY, request, setup } from './test-support.ts';
import type { CredentialUseStore, RevocationStore, RevocationTarget } from './types.ts';
import { createCredentialVerifier } from './verifier.ts';

/**
 * Changes one character in the middle of a base64url segment. (The last character of an
 * HS256 signature carries two padding bits, so changing it can leave the bytes unchanged.)
 */
function flipMiddleChar(segment: string): string {
  const at = Math.floor(segment.length / 2);
  return segment.slice(0, at) + (segment[at] === 'A' ? 'B' : 'A') + segment.slice(at + 1);
}

test('round trip: a minted credential verifies and yields its claims', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request());
  const claims = await verifier.verify(minted.token, { actionHash: 'sha256:action-1', scope: 'crm.customer.read' });
  assert.deepEqual(claims, decodeJwt(minted.token));
  assert.equal(claims.jti, minted.jti);
  assert.deepEqual(claims.act, { sub: 'support-agent' });
});

test('forged: a credential signed with another key is refused (ERR_CREDENTIAL_SIGNATURE)', async () => {
  const { verifier, clock } = setup();
  const forger = new CredentialBroker({ key: OTHER_KEY, issuer: ISSUER, maxTtlSeconds: 600, clock, revocations: new MemoryRevocationStore() });
  const forged = await forger.mint(request());
  await assert.rejects(verifier.verify(forged.token), { code: 'ERR_CREDENTIAL_SIGNATURE', status: 401 });
});

test('tampered: a changed payload or signature is refused', async () => {
  const { broker, verifier } = setup();
  const [header, payload, signature] = (await broker.mint(request({ scope: 'crm.customer.read' }))).token.split('.') as [string, string, string];
  const widened = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'crm.customer.read crm.customer.export' }),
  ).toString('base64url');
  await assert.rejects(verifier.verify(`${header}.${widened}.${signature}`), { code: 'ERR_CREDENTIAL_SIGNATURE' });
  await assert.rejects(verifier.verify(`${header}.${payload}.${flipMiddleChar(signature)}`), { code: 'ERR_CREDENTIAL_SIGNATURE' });
  const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'airlock-cred+jwt' })).toString('base64url');
  await assert.rejects(verifier.verify(`${noneHeader}.${payload}.`), { code: 'ERR_CREDENTIAL_MALFORMED' });
  await assert.rejects(verifier.verify(`${noneHeader}.${payload}.${signature}`), { code: 'ERR_CREDENTIAL_SIGNATURE' });
  await assert.rejects(verifier.verify('not-a-jwt'), { code: 'ERR_CREDENTIAL_MALFORMED' });
  await assert.rejects(verifier.verify(''), { code: 'ERR_CREDENTIAL_MISSING' });
});

test('a JWT signed with the right key but without the credential typ is refused', async () => {
  const { verifier, clock } = setup();
  const now = Math.floor(clock.now() / 1000);
  const identityLike = await new SignJWT({ tenant: 'acme', scope: 'crm.customer.read', ah: 'x' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER).setAudience('crm').setSubject('sam').setJti('jti_x').setIssuedAt(now).setExpirationTime(now + 60)
    .sign(KEY);
  await assert.rejects(verifier.verify(identityLike), (err: { code: string }) => err.code.startsWith('ERR_CREDENTIAL_'));
  await assert.rejects(verifier.verify(identityLike), { status: 401 });
});

test('a credential missing a required claim is refused as malformed', async () => {
  const { verifier, clock } = setup();
  const now = Math.floor(clock.now() / 1000);
  const noHash = await new SignJWT({ tenant: 'acme', scope: 'crm.customer.read' })
    .setProtectedHeader({ alg: 'HS256', typ: 'airlock-cred+jwt' })
    .setIssuer(ISSUER).setAudience('crm').setSubject('sam').setJti('jti_x').setIssuedAt(now).setExpirationTime(now + 60)
    .sign(KEY);
  await assert.rejects(verifier.verify(noHash), { code: 'ERR_CREDENTIAL_MALFORMED' });
});

test('expired: refused once exp has passed, accepted up to it; tolerance is honoured', async () => {
  const { broker, verifier, clock } = setup();
  const minted = await broker.mint(request({ ttlSeconds: 30 }));
  clock.advance(29_000);
  await verifier.verify(minted.token);
  clock.advance(1_000);
  await assert.rejects(verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_EXPIRED', status: 401 });
  const lenient = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, clockToleranceSeconds: 5 });
  await lenient.verify(minted.token);
});

test('clock tolerance is bounded by how long revocations are kept: a larger (or ill-typed) one is refused', () => {
  for (const clockToleranceSeconds of [301, 900, -1, Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number]) {
    assert.throws(
      () => createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clockToleranceSeconds }),
      { code: 'ERR_CREDENTIAL_CONFIG' },
      String(clockToleranceSeconds),
    );
  }
});

test('a revoked credential stays refused after its revocation is purged, at the largest tolerance', async () => {
  const clock = new ManualClock();
  const revocations = new MemoryRevocationStore();
  const broker = new CredentialBroker({ key: KEY, issuer: ISSUER, maxTtlSeconds: 60, clock, revocations });
  const verifier = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', revocations, clock, clockToleranceSeconds: 300 });
  const minted = await broker.mint(request({ ttlSeconds: 60 }));
  clock.advance(1_000);
  await broker.revoke({ kind: 'jti', jti: minted.jti });
  let purged = 0;
  for (let second = 0; second < 420; second++) {
    clock.advance(1_000);
    purged += await revocations.purge(clock.now());
    await assert.rejects(verifier.verify(minted.token), (e: { code?: string }) => e.code === 'ERR_CREDENTIAL_REVOKED' || e.code === 'ERR_CREDENTIAL_EXPIRED');
  }
  assert.equal(purged, 1, 'the revocation was purged within the window');
});

test('issued in the future: refused (ERR_CREDENTIAL_NOT_YET_VALID)', async () => {
  const { broker, verifier, clock } = setup();
  clock.advance(10_000);
  const minted = await broker.mint(request());
  clock.advance(-10_000);
  await assert.rejects(verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_NOT_YET_VALID' });
});

test('wrong audience (another connector) and wrong issuer are refused', async () => {
  const { broker, clock } = setup();
  const minted = await broker.mint(request({ audience: 'mail' }));
  const crm = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock });
  await assert.rejects(crm.verify(minted.token), { code: 'ERR_CREDENTIAL_AUDIENCE', status: 403 });
  const otherIssuer = createCredentialVerifier({ key: KEY, issuer: 'someone-else', audience: 'mail', clock });
  await assert.rejects(otherIssuer.verify(minted.token), { code: 'ERR_CREDENTIAL_ISSUER' });
});

test('wrong scope: per-call and required scopes must both be granted', async () => {
  const { broker, verifier, clock } = setup();
  const minted = await broker.mint(request({ scope: 'crm.customer.read crm.note.read' }));
  await verifier.verify(minted.token, { scope: 'crm.note.read crm.customer.read' });
  await assert.rejects(verifier.verify(minted.token, { scope: 'crm.customer.write' }), { code: 'ERR_CREDENTIAL_SCOPE', status: 403 });
  await assert.rejects(verifier.verify(minted.token, { scope: 'crm.customer' }), { code: 'ERR_CREDENTIAL_SCOPE' });
  const strict = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, requiredScope: 'crm.customer.export' });
  await assert.rejects(strict.verify(minted.token), { code: 'ERR_CREDENTIAL_SCOPE' });
});

test('action-hash mismatch is refused; no hash asked means no hash check', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request({ actionHash: 'sha256:one' }));
  await assert.rejects(verifier.verify(minted.token, { actionHash: 'sha256:two' }), {
    code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
    status: 403,
  });
  await verifier.verify(minted.token, { actionHash: 'sha256:one' });
  await verifier.verify(minted.token);
});

const TARGET = { tool: 'crm.getCustomer', resource: { type: 'customer', id: 'cus_1' }, arguments: { customer_id: 'cus_1' } };
/** A call made in session ses_1 by support-agent for sam (acme), on tool crm.getCustomer. */
const IN_SESSION = request({ session: 'ses_1', target: TARGET });

for (const [how, target] of [
  ['jti', null],
  ['user', { kind: 'user', tenant: 'acme', user: 'sam' }],
  ['tenant', { kind: 'tenant', tenant: 'acme' }],
  ['connector', { kind: 'connector', audience: 'crm' }],
  ['connector', { kind: 'connector', audience: 'crm', tenant: 'acme' }],
  ['agent', { kind: 'agent', tenant: 'acme', agent: 'support-agent' }],
  ['agent', { kind: 'agent', tenant: null, agent: 'support-agent' }],
  ['tool', { kind: 'tool', tenant: 'acme', tool: 'crm.getCustomer' }],
  ['tool', { kind: 'tool', tenant: null, tool: 'crm.getCustomer' }],
  ['session', { kind: 'session', tenant: 'acme', session: 'ses_1' }],
  ['session', { kind: 'session', tenant: null, session: 'ses_1' }],
  ['global', { kind: 'global' }],
] as const) {
  test(`revoked by ${how} (${JSON.stringify(target)}): refused; credentials issued later are not affected`, async () => {
    const { broker, verifier, clock } = setup();
    const minted = await broker.mint(IN_SESSION);
    await verifier.verify(minted.token);
    clock.advance(1_000);
    await broker.revoke(target ?? { kind: 'jti', jti: minted.jti });
    await assert.rejects(verifier.verify(minted.token), (err: { code: string; status: number; details: { revoked_by: string } }) => {
      assert.equal(err.code, 'ERR_CREDENTIAL_REVOKED');
      assert.equal(err.status, 401);
      assert.equal(err.details.revoked_by, how);
      return true;
    });
    clock.advance(1_000);
    await verifier.verify((await broker.mint(IN_SESSION)).token);
  });
}

test('an agent, tool, session or tenant-confined connector revocation covers exactly its credentials', async () => {
  const { broker, clock } = setup();
  const minted = {
    base: await broker.mint(IN_SESSION),
    otherAgent: await broker.mint({ ...IN_SESSION, principal: { user: 'sam', tenant: 'acme', agent: 'billing-agent' } }),
    noAgent: await broker.mint({ ...IN_SESSION, principal: { user: 'sam', tenant: 'acme' } }),
    otherTool: await broker.mint({ ...IN_SESSION, target: { ...TARGET, tool: 'crm.listCustomers' } }),
    noTool: await broker.mint(request({ session: 'ses_1' })),
    otherSession: await broker.mint({ ...IN_SESSION, session: 'ses_2' }),
    noSession: await broker.mint(request({ target: TARGET })),
    otherTenant: await broker.mint({ ...IN_SESSION, principal: { user: 'gil', tenant: 'globex', agent: 'support-agent' } }),
  };
  const all = Object.keys(minted) as Array<keyof typeof minted>;
  const cases: Array<[RevocationTarget, Array<keyof typeof minted>]> = [
    [{ kind: 'agent', tenant: 'acme', agent: 'support-agent' }, ['base', 'otherTool', 'noTool', 'otherSession', 'noSession']],
    [{ kind: 'agent', tenant: null, agent: 'support-agent' }, ['base', 'otherTool', 'noTool', 'otherSession', 'noSession', 'otherTenant']],
    [{ kind: 'tool', tenant: 'acme', tool: 'crm.getCustomer' }, ['base', 'otherAgent', 'noAgent', 'otherSession', 'noSession']],
    [{ kind: 'tool', tenant: null, tool: 'crm.getCustomer' }, ['base', 'otherAgent', 'noAgent', 'otherSession', 'noSession', 'otherTenant']],
    [{ kind: 'session', tenant: 'acme', session: 'ses_1' }, ['base', 'otherAgent', 'noAgent', 'otherTool', 'noTool']],
    [{ kind: 'session', tenant: null, session: 'ses_1' }, ['base', 'otherAgent', 'noAgent', 'otherTool', 'noTool', 'otherTenant']],
    [{ kind: 'connector', tenant: 'acme', audience: 'crm' }, all.filter((name) => name !== 'otherTenant')],
    [{ kind: 'connector', tenant: 'globex', audience: 'mail' }, []],
    [{ kind: 'global' }, all],
  ];
  clock.advance(1_000);
  for (const [target, covered] of cases) {
    const revocations = new MemoryRevocationStore();
    await revocations.revoke({ target, revokedAt: clock.now(), expiresAt: clock.now() + 600_000 });
    const verifier = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, revocations });
    for (const name of all) {
      const verdict = await verifier.verify(minted[name].token).then(
        () => 'accepted',
        (err: { code: string }) => err.code,
      );
      assert.equal(verdict, covered.includes(name) ? 'ERR_CREDENTIAL_REVOKED' : 'accepted', `${JSON.stringify(target)} / ${name}`);
    }
  }
});

test('the sid claim: carried when minted in a session, absent otherwise, refused when ill-formed', async () => {
  const { broker, verifier, clock } = setup();
  assert.equal((await verifier.verify((await broker.mint(IN_SESSION)).token)).sid, 'ses_1');
  assert.equal('sid' in (await verifier.verify((await broker.mint(request())).token)), false);
  await assert.rejects(broker.mint(request({ session: '' })), { code: 'ERR_CREDENTIAL_REQUEST' });
  const now = Math.floor(clock.now() / 1000);
  for (const sid of ['', 42, { id: 'ses_1' }]) {
    const token = await new SignJWT({ tenant: 'acme', scope: 'crm.customer.read', ah: 'x', sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'airlock-cred+jwt' })
      .setIssuer(ISSUER).setAudience('crm').setSubject('sam').setJti('jti_x').setIssuedAt(now).setExpirationTime(now + 60)
      .sign(KEY);
    await assert.rejects(verifier.verify(token), { code: 'ERR_CREDENTIAL_MALFORMED' }, JSON.stringify(sid));
  }
});

test('revocation store failure refuses (fail closed) with ERR_CREDENTIAL_UNAVAILABLE', async () => {
  const { broker, clock } = setup();
  const minted = await broker.mint(request());
  const broken: RevocationStore = {
    revoke: async () => {},
    check: async () => {
      throw new Error('disk gone');
    },
    revokedSince: async () => {
      throw new Error('disk gone');
    },
    purge: async () => 0,
  };
  const verifier = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, revocations: broken });
  await assert.rejects(verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
});

test('one-time: a second use is refused as a replay; other verifiers are independent', async () => {
  const { broker, verifier: multi } = setup();
  const { verifier } = setup({ oneTime: true });
  const minted = await broker.mint(request());
  await verifier.verify(minted.token);
  await assert.rejects(verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 });
  await multi.verify(minted.token);
  await multi.verify(minted.token);
});

test('one-time: a refused credential does not burn its jti', async () => {
  const { broker } = setup();
  const { verifier } = setup({ oneTime: true });
  const minted = await broker.mint(request({ actionHash: 'sha256:one' }));
  await assert.rejects(verifier.verify(minted.token, { actionHash: 'sha256:two' }), { code: 'ERR_CREDENTIAL_ACTION_MISMATCH' });
  await verifier.verify(minted.token, { actionHash: 'sha256:one' });
});

test('one-time: the jti memory is bounded, refuses when full of live credentials, frees expired ones', async () => {
  const { broker, clock } = setup();
  const verifier = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, oneTime: true, maxTrackedCredentials: 2 });
  await verifier.verify((await broker.mint(request({ ttlSeconds: 10 }))).token);
  await verifier.verify((await broker.mint(request({ ttlSeconds: 10 }))).token);
  const third = await broker.mint(request({ ttlSeconds: 60 }));
  await assert.rejects(verifier.verify(third.token), { code: 'ERR_CREDENTIAL_UNAVAILABLE' });
  clock.advance(11_000);
  await verifier.verify(third.token);
  await assert.rejects(verifier.verify(third.token), { code: 'ERR_CREDENTIAL_REPLAYED' });
});

test('one-time: verifiers given one use store accept a credential once between them (replicas of an upstream)', async () => {
  const { broker, clock } = setup();
  const uses = new MemoryCredentialUseStore();
  const replicaA = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, oneTime: true, uses });
  const replicaB = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, oneTime: true, uses });
  const minted = await broker.mint(request());
  const outcomes = await Promise.allSettled([replicaA.verify(minted.token), replicaB.verify(minted.token), replicaA.verify(minted.token)]);
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  await assert.rejects(replicaB.verify(minted.token), { code: 'ERR_CREDENTIAL_REPLAYED', status: 401 });
});

test('one-time: a use store that cannot tell refuses the credential with 503, never accepts it', async () => {
  const { broker, clock } = setup();
  const calls: Array<[string, number, number]> = [];
  const broken: CredentialUseStore = {
    use: async (jti, exp, now) => {
      calls.push([jti, exp, now]);
      throw new Error('disk gone');
    },
    purge: async () => 0,
  };
  const verifier = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock, oneTime: true, uses: broken, clockToleranceSeconds: 5 });
  const minted = await broker.mint(request({ ttlSeconds: 30 }));
  await assert.rejects(verifier.verify(minted.token), { code: 'ERR_CREDENTIAL_UNAVAILABLE', status: 503 });
  const nowSeconds = Math.floor(clock.now() / 1000);
  assert.equal(minted.expiresAt, nowSeconds + 30);
  assert.deepEqual(calls, [[minted.jti, minted.expiresAt + 5, nowSeconds]], 'the use is recorded until exp plus the tolerance');
});

test('verifier configuration faults are refused at creation', () => {
  const clock = new ManualClock();
  const base = { issuer: ISSUER, audience: 'crm', clock };
  assert.throws(() => createCredentialVerifier(base), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => createCredentialVerifier({ ...base, key: new Uint8Array(8) }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, algorithms: ['none'] }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, audience: '' }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, requiredScope: 'a  b' }), { code: 'ERR_CREDENTIAL_CONFIG' });
  const uses = new MemoryCredentialUseStore();
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, uses }), { code: 'ERR_CREDENTIAL_CONFIG' }, 'uses without oneTime');
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, oneTime: true, uses, maxTrackedCredentials: 5 }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => createCredentialVerifier({ ...base, key: KEY, oneTime: true, maxTrackedCredentials: 0 }), { code: 'ERR_CREDENTIAL_CONFIG' });
});

test('a key set verifies asymmetric credentials (e.g. from a JWKS endpoint)', async () => {
  const clock = new ManualClock();
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const now = Math.floor(clock.now() / 1000);
  const token = await new SignJWT({ tenant: 'acme', scope: 's', ah: 'h' })
    .setProtectedHeader({ alg: 'ES256', typ: 'airlock-cred+jwt', kid: 'k1' })
    .setIssuer(ISSUER).setAudience('crm').setSubject('sam').setJti('jti_1').setIssuedAt(now).setExpirationTime(now + 60)
    .sign(privateKey);
  const verifier = createCredentialVerifier({ jwks: createLocalJWKSet({ keys: [jwk] }), issuer: ISSUER, audience: 'crm', clock });
  assert.equal((await verifier.verify(token, { scope: 's' })).sub, 'sam');
  const hmacOnly = createCredentialVerifier({ key: KEY, issuer: ISSUER, audience: 'crm', clock });
  await assert.rejects(hmacOnly.verify(token), { code: 'ERR_CREDENTIAL_SIGNATURE' });
});
