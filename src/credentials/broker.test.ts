import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ManualClock } from '../core/clock.ts';
import { CredentialBroker, credentialRecord } from './broker.ts';
import { MemoryRevocationStore } from './memory-revocations.ts';
import { ISSUER, KEY, request, setup } from './test-support.ts';

test('mint: claims carry issuer, connector, user, tenant, actor, scope, action hash, jti, iat and exp', async () => {
  const { broker, clock } = setup();
  const minted = await broker.mint(request());
  const iat = Math.floor(clock.now() / 1000);
  assert.deepEqual(decodeProtectedHeader(minted.token), { alg: 'HS256', typ: 'airlock-cred+jwt' });
  assert.deepEqual(decodeJwt(minted.token), {
    iss: ISSUER,
    aud: 'crm',
    sub: 'sam',
    tenant: 'acme',
    act: { sub: 'support-agent' },
    scope: 'crm.customer.read',
    ah: 'sha256:action-1',
    jti: minted.jti,
    iat,
    exp: iat + 300,
  });
  assert.match(minted.jti, /^jti_/);
  assert.equal(minted.expiresAt, iat + 300);
  assert.equal(minted.audience, 'crm');
  assert.equal(minted.scope, 'crm.customer.read');
});

test('mint: no act claim without an agent; every credential has its own jti', async () => {
  const { broker } = setup();
  const a = await broker.mint(request({ principal: { user: 'sam', tenant: 'acme' } }));
  const b = await broker.mint(request({ principal: { user: 'sam', tenant: 'acme' } }));
  assert.equal('act' in decodeJwt(a.token), false);
  assert.notEqual(a.jti, b.jti);
});

test('jti: the mint time first (the audit ref index grows at its end), then 128 random bits; never repeats', async () => {
  const { broker, clock } = setup();
  const seen = new Set<string>();
  let previous = '';
  for (let i = 0; i < 600; i++) {
    if (i % 3 === 0) clock.advance(1); // three per millisecond: order by time, not by chance
    const { jti } = await broker.mint(request());
    // jti_ + 10 base-32 digits of the clock's ms + 22 base64url characters (16 CSPRNG bytes).
    assert.match(jti, /^jti_[0-9A-HJKMNP-TV-Z]{10}[A-Za-z0-9_-]{22}$/);
    assert.equal(seen.has(jti), false);
    seen.add(jti);
    if (i % 3 === 0) assert.ok(jti.slice(0, 14) > previous.slice(0, 14), 'a later millisecond sorts after');
    else assert.equal(jti.slice(0, 14), previous.slice(0, 14), 'same millisecond, same time part');
    previous = jti;
  }
  // The random parts differ from each other too (not a counter): unguessable from a seen jti.
  assert.equal(new Set([...seen].map((jti) => jti.slice(14))).size, seen.size);
});

test('ttl: min(requested, cap); 60 s when the policy gives none; the default is capped too', async () => {
  const { broker } = setup({}, 120);
  const lifetime = async (ttlSeconds: number | undefined) => {
    const claims = decodeJwt((await broker.mint(request({ ttlSeconds }))).token);
    return (claims.exp as number) - (claims.iat as number);
  };
  assert.equal(await lifetime(30), 30);
  assert.equal(await lifetime(120), 120);
  assert.equal(await lifetime(86_400), 120);
  assert.equal(await lifetime(undefined), 60);
  const small = setup({}, 10).broker;
  assert.equal(small.ttlFor(undefined), 10);
  assert.equal(small.ttlFor(5), 5);
});

test('mint refuses bad input with ERR_CREDENTIAL_REQUEST', async () => {
  const { broker } = setup();
  for (const bad of [
    request({ ttlSeconds: 0 }),
    request({ ttlSeconds: -5 }),
    request({ ttlSeconds: 1.5 }),
    request({ ttlSeconds: Number.NaN }),
    request({ scope: '' }),
    request({ scope: 'a  b' }),
    request({ scope: 'bad"quote' }),
    request({ audience: '' }),
    request({ actionHash: '' }),
    request({ principal: { user: '', tenant: 'acme' } }),
    request({ principal: { user: 'sam', tenant: '' } }),
    request({ principal: { user: 'sam', tenant: 'acme', agent: '' } }),
  ]) {
    await assert.rejects(broker.mint(bad), { code: 'ERR_CREDENTIAL_REQUEST' }, JSON.stringify(bad));
  }
});

test('the broker refuses short keys, empty issuers and non-positive caps', () => {
  const revocations = new MemoryRevocationStore();
  const make = (o: Partial<ConstructorParameters<typeof CredentialBroker>[0]>) =>
    new CredentialBroker({ key: KEY, issuer: ISSUER, maxTtlSeconds: 60, revocations, ...o });
  assert.throws(() => make({ key: new Uint8Array(31) }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => make({ issuer: '' }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => make({ maxTtlSeconds: 0 }), { code: 'ERR_CREDENTIAL_CONFIG' });
  assert.throws(() => make({ maxTtlSeconds: 2.5 }), { code: 'ERR_CREDENTIAL_CONFIG' });
});

test('a credential covered by a revocation from the same second is not minted', async () => {
  const { broker, clock } = setup();
  clock.set(Date.UTC(2026, 0, 1, 0, 0, 0, 100));
  await broker.revoke({ kind: 'user', tenant: 'acme', user: 'sam' });
  clock.advance(500);
  await assert.rejects(broker.mint(request()), { code: 'ERR_CREDENTIAL_REVOKED' });
  await broker.mint(request({ principal: { user: 'kim', tenant: 'acme' } }));
  clock.advance(1_000);
  await broker.mint(request());
});

test('revocations made through the broker live until every credential they cover has expired', async () => {
  const clock = new ManualClock(1_000_000);
  const revocations = new MemoryRevocationStore();
  const broker = new CredentialBroker({ key: KEY, issuer: ISSUER, maxTtlSeconds: 60, clock, revocations });
  await broker.revoke({ kind: 'tenant', tenant: 'acme' });
  const subject = { jti: 'j', user: 'u', tenant: 'acme', audience: 'a', agent: null, tool: null, session: null, issuedAt: 999 };
  assert.equal(await revocations.purge(1_000_000 + 60_000), 0);
  assert.notEqual(await revocations.check(subject), null);
  assert.equal(await revocations.purge(1_000_000 + 60_000 + 5 * 60_000), 1);
});

test('neither the minted credential nor the broker shows the token or key in JSON or inspect', async () => {
  const { broker } = setup();
  const minted = await broker.mint(request());
  assert.deepEqual(JSON.parse(JSON.stringify(minted)), credentialRecord(minted));
  assert.deepEqual(Object.keys(credentialRecord(minted)).sort(), ['expiresAt', 'jti', 'scope']);
  assert.deepEqual(JSON.parse(JSON.stringify({ broker })), { broker: { issuer: ISSUER, maxTtlSeconds: 600 } });
  const keyText = new TextDecoder().decode(KEY);
  for (const text of [JSON.stringify(minted), inspect(minted), inspect({ nested: minted }), inspect(broker), JSON.stringify(broker)]) {
    assert.equal(text.includes(minted.token), false, text);
    assert.equal(text.includes(minted.token.split('.')[2] as string), false, text);
    assert.equal(text.includes(keyText), false, text);
  }
  assert.match(inspect(minted), /jti_/);
});
