/**
 * Tests for mintDevToken: HS256 tokens that TokenVerifier accepts with every claim in
 * place, and a clear refusal for non-HS256 issuers and weak keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ManualClock } from '../core/clock.ts';
import type { IssuerConfig } from '../config/types.ts';
import { mintDevToken } from './dev-token.ts';
import { TokenVerifier } from './verifier.ts';

const key = new TextEncoder().encode('k'.repeat(43));
const issuer: IssuerConfig = {
  issuer: 'https://dev.airlock.local',
  algorithms: ['HS256'],
  secret: 'env:X',
  tenantClaim: 'org',
  rolesClaim: 'roles',
};

describe('mintDevToken', () => {
  it('mints a token the verifier accepts, with agent and session', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5));
    const token = await mintDevToken(
      issuer,
      'airlock',
      key,
      { sub: 'alice', tenant: 'acme', roles: ['support'], agent: 'agent:bot', ttlSeconds: 600, sessionId: 'ses_1' },
      clock,
    );
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    assert.equal(claims.org, 'acme');
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 600);
    assert.match(String(claims.jti), /^jti_/);
    const verifier = await TokenVerifier.create(
      { audience: 'airlock', clockSkewSeconds: 0, maxTokenAgeSeconds: 3600, issuers: [issuer] },
      { baseDir: '/', clock, resolveSecret: async () => key },
    );
    const principal = await verifier.verify(token);
    assert.equal(principal.user, 'alice');
    assert.equal(principal.tenant, 'acme');
    assert.deepEqual(principal.roles, ['support']);
    assert.equal(principal.agent, 'agent:bot');
    assert.deepEqual(principal.delegation, ['agent:bot']);
    assert.equal(principal.tokenSession, 'ses_1');
    assert.equal(principal.tokenId, claims.jti);
  });

  it('refuses an issuer that is not HS256', async () => {
    const rs: IssuerConfig = { ...issuer, algorithms: ['RS256'] };
    await assert.rejects(
      mintDevToken(rs, 'airlock', key, { sub: 'a', tenant: 't', roles: [], ttlSeconds: 60 }),
      (err: Error & { code?: string }) => err.code === 'ERR_IDENTITY_DEV_TOKEN' && /HS256 issuer/.test(err.message),
    );
  });

  it('refuses a short key and a non-positive ttl', async () => {
    await assert.rejects(mintDevToken(issuer, 'a', new Uint8Array(8), { sub: 'a', tenant: 't', roles: [], ttlSeconds: 60 }), {
      code: 'ERR_IDENTITY_DEV_TOKEN',
    });
    await assert.rejects(mintDevToken(issuer, 'a', key, { sub: 'a', tenant: 't', roles: [], ttlSeconds: 0 }), {
      code: 'ERR_IDENTITY_DEV_TOKEN',
    });
  });
});
