/**
 * The verified-token cache: a remembered token is answered without re-verifying, but never
 * outside its own validity window, never for a different token string, and never for
 * longer than a minute; failures are not remembered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { ManualClock } from '../core/clock.ts';
import type { IssuerConfig } from '../config/types.ts';
import { TokenVerifier } from './verifier.ts';

const START = Date.UTC(2026, 2, 1, 12, 0, 0);
const KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef-dev');
const issuer: IssuerConfig = { issuer: 'https://dev.airlock.local', algorithms: ['HS256'], secret: 'env:DEV', tenantClaim: 'tenant', rolesClaim: 'roles' };

async function setup(keys: { current: Uint8Array }) {
  const clock = new ManualClock(START);
  const verifier = await TokenVerifier.create(
    { audience: 'airlock', clockSkewSeconds: 30, maxTokenAgeSeconds: 3600, issuers: [issuer] },
    { baseDir: '/', clock, resolveSecret: async () => keys.current },
  );
  const sign = (ttl: number, key = KEY) =>
    new SignJWT({ tenant: 'acme', roles: ['support'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer.issuer)
      .setAudience('airlock')
      .setSubject('sam')
      .setIssuedAt(Math.floor(clock.now() / 1000))
      .setExpirationTime(Math.floor(clock.now() / 1000) + ttl)
      .sign(key);
  return { clock, verifier, sign };
}

test('a cached token is refused once it expires (the cache never extends a token)', async () => {
  const { clock, verifier, sign } = await setup({ current: KEY });
  const token = await sign(20);
  const first = await verifier.verify(token);
  assert.equal(await verifier.verify(token), first, 'second verification answered from the cache');
  clock.advance(19_000);
  assert.equal((await verifier.verify(token)).user, 'sam');
  // Past exp the cache gives way to full verification, which applies the skew allowance...
  clock.advance(2_000);
  assert.equal((await verifier.verify(token)).user, 'sam');
  // ...and past exp + skew the token is refused.
  clock.advance(30_000);
  await assert.rejects(verifier.verify(token), { code: 'ERR_IDENTITY_EXPIRED' });
});

test('cached principals are frozen: a caller cannot change what the next call sees', async () => {
  const { verifier, sign } = await setup({ current: KEY });
  const token = await sign(600);
  const principal = await verifier.verify(token);
  assert.throws(() => (principal.roles as string[]).push('admin'));
  assert.deepEqual((await verifier.verify(token)).roles, ['support']);
});

test('a token differing by one character is verified on its own (and refused)', async () => {
  const { verifier, sign } = await setup({ current: KEY });
  const token = await sign(600);
  await verifier.verify(token);
  // Change a character in the middle of the signature (the last one may only carry padding bits).
  const at = token.length - 10;
  const forged = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
  await assert.rejects(verifier.verify(forged), { code: 'ERR_IDENTITY_SIGNATURE' });
});

test('after a minute a remembered token is verified again from scratch', async () => {
  const { clock, verifier, sign } = await setup({ current: KEY });
  const token = await sign(3000);
  await verifier.verify(token);
  await verifier.verify(token);
  assert.deepEqual(verifier.cacheStats(), { hits: 1, misses: 1, size: 1 });
  clock.advance(61_000);
  await verifier.verify(token);
  assert.equal(verifier.cacheStats().misses, 2, 'the old entry was not trusted');
  await verifier.verify(token);
  assert.equal(verifier.cacheStats().hits, 2);
});

test('recentlyVerified answers at once only for a token verified and still fresh, and counts nothing', async () => {
  const { clock, verifier, sign } = await setup({ current: KEY });
  const token = await sign(20);
  assert.equal(verifier.recentlyVerified(token), null, 'never verified: it must be verified');
  const principal = await verifier.verify(token);
  const stats = verifier.cacheStats();
  assert.equal(verifier.recentlyVerified(token), principal);
  assert.equal(verifier.recentlyVerified(`${token.slice(0, -1)}x`), null, 'another token string');
  assert.equal(verifier.recentlyVerified(''), null);
  assert.deepEqual(verifier.cacheStats(), stats);
  clock.advance(21_000);
  assert.equal(verifier.recentlyVerified(token), null, 'past exp: full verification decides');
});
