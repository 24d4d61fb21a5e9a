/**
 * Tests for TokenVerifier: valid tokens become Principals; every way a token can be wrong
 * (expired, early, skew edges, issuer, audience, `none`, algorithm confusion, wrong key,
 * tampering, claims) is refused with its own 401 code and a message that never echoes
 * the token. Asymmetric algorithms run against a local JWKS file generated here.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { ManualClock } from '../core/clock.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { IdentityConfig, IssuerConfig } from '../config/types.ts';
import { TokenVerifier } from './verifier.ts';

const NOW_MS = Date.UTC(2026, 2, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const SKEW = 30;
const AUDIENCE = 'airlock';
const HS_KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef-dev');
const OTHER_KEY = new TextEncoder().encode('fedcba9876543210fedcba9876543210-bad');

const devIssuer: IssuerConfig = {
  issuer: 'https://dev.airlock.local',
  algorithms: ['HS256'],
  secret: 'env:DEV',
  tenantClaim: 'tenant',
  rolesClaim: 'roles',
};

function identity(issuers: IssuerConfig[]): IdentityConfig {
  return { audience: AUDIENCE, clockSkewSeconds: SKEW, maxTokenAgeSeconds: 3600, issuers };
}

const resolveSecret = async (ref: string) => {
  assert.equal(ref, 'env:DEV');
  return HS_KEY;
};

async function hsVerifier(): Promise<TokenVerifier> {
  return TokenVerifier.create(identity([devIssuer]), { baseDir: '/', clock: new ManualClock(NOW_MS), resolveSecret });
}

interface SignOptions {
  key?: Uint8Array | CryptoKey;
  alg?: string;
  kid?: string;
  typ?: string;
  omit?: string[];
}

/** Signs `claims` over sensible defaults (valid now for 10 minutes). */
async function sign(claims: Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: devIssuer.issuer,
    aud: AUDIENCE,
    sub: 'alice',
    tenant: 'acme',
    roles: ['support'],
    iat: NOW - 60,
    exp: NOW + 540,
    ...claims,
  };
  for (const key of options.omit ?? []) delete payload[key];
  const header: { alg: string; kid?: string; typ?: string } = { alg: options.alg ?? 'HS256', typ: options.typ ?? 'JWT' };
  if (options.kid !== undefined) header.kid = options.kid;
  return new SignJWT(payload).setProtectedHeader(header).sign(options.key ?? HS_KEY);
}

async function refusal(verifier: TokenVerifier, token: string): Promise<AirlockError> {
  try {
    await verifier.verify(token);
  } catch (err) {
    assert.ok(err instanceof AirlockError, `expected AirlockError, got ${String(err)}`);
    if (token.length >= 8) assert.ok(!err.message.includes(token.slice(0, 8)), 'message echoes the token');
    return err;
  }
  assert.fail('expected the token to be refused');
}

async function expectCode(verifier: TokenVerifier, token: string, code: string): Promise<void> {
  const err = await refusal(verifier, token);
  assert.equal(err.code, code, err.message);
  assert.equal(err.status, 401);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TokenVerifier: HS256', () => {
  it('verifies a valid token into a Principal', async () => {
    const token = await sign({ jti: 'jti_abc', sid: 'ses_123' });
    const principal = await (await hsVerifier()).verify(token);
    assert.deepEqual(principal, {
      user: 'alice',
      tenant: 'acme',
      roles: ['support'],
      delegation: [],
      issuer: devIssuer.issuer,
      tokenSession: 'ses_123',
      tokenId: 'jti_abc',
      expiresAt: NOW + 540,
    });
  });

  it('refuses an expired token', async () => {
    await expectCode(await hsVerifier(), await sign({ iat: NOW - 600, exp: NOW - 300 }), 'ERR_IDENTITY_EXPIRED');
  });

  it('refuses a token whose nbf is in the future', async () => {
    await expectCode(await hsVerifier(), await sign({ nbf: NOW + 300 }), 'ERR_IDENTITY_NOT_YET_VALID');
  });

  it('refuses a token issued in the future (beyond skew)', async () => {
    await expectCode(await hsVerifier(), await sign({ iat: NOW + SKEW + 5, exp: NOW + 600 }), 'ERR_IDENTITY_NOT_YET_VALID');
  });

  it('applies the clock skew exactly at its boundary', async () => {
    const verifier = await hsVerifier();
    // exp: valid while exp > now - skew.
    await verifier.verify(await sign({ iat: NOW - 600, exp: NOW - SKEW + 1 }));
    await expectCode(verifier, await sign({ iat: NOW - 600, exp: NOW - SKEW }), 'ERR_IDENTITY_EXPIRED');
    await expectCode(verifier, await sign({ iat: NOW - 600, exp: NOW - SKEW - 1 }), 'ERR_IDENTITY_EXPIRED');
    // nbf: valid while nbf <= now + skew.
    await verifier.verify(await sign({ nbf: NOW + SKEW }));
    await expectCode(verifier, await sign({ nbf: NOW + SKEW + 1 }), 'ERR_IDENTITY_NOT_YET_VALID');
  });

  it('uses the injected clock, not the wall clock', async () => {
    const clock = new ManualClock(NOW_MS);
    const verifier = await TokenVerifier.create(identity([devIssuer]), { baseDir: '/', clock, resolveSecret });
    const token = await sign();
    await verifier.verify(token);
    clock.advance((540 + SKEW) * 1000);
    await expectCode(verifier, token, 'ERR_IDENTITY_EXPIRED');
  });

  it('refuses an unknown issuer and a token with no issuer', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({ iss: 'https://evil.example' }), 'ERR_IDENTITY_ISSUER');
    await expectCode(verifier, await sign({}, { omit: ['iss'] }), 'ERR_IDENTITY_ISSUER');
  });

  it('refuses a tenant its issuer is not trusted for, when the issuer names its tenants', async () => {
    const bound = await TokenVerifier.create(identity([{ ...devIssuer, tenants: ['acme', 'initech'] }]), { baseDir: '/', clock: new ManualClock(NOW_MS), resolveSecret });
    assert.equal((await bound.verify(await sign({ tenant: 'acme' }))).tenant, 'acme');
    assert.equal((await bound.verify(await sign({ tenant: 'initech' }))).tenant, 'initech');
    for (const tenant of ['globex', 'ACME', 'acme ', 'acm']) {
      await expectCode(bound, await sign({ tenant }), 'ERR_IDENTITY_TENANT');
    }
    // Without a list the issuer may name any tenant (a single identity provider for all of them).
    assert.equal((await (await hsVerifier()).verify(await sign({ tenant: 'globex' }))).tenant, 'globex');
  });

  it('refuses a wrong or missing audience', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({ aud: 'another-service' }), 'ERR_IDENTITY_AUDIENCE');
    await expectCode(verifier, await sign({}, { omit: ['aud'] }), 'ERR_IDENTITY_AUDIENCE');
    await verifier.verify(await sign({ aud: ['another-service', AUDIENCE] }));
  });

  it('refuses alg: none (hand-built unsigned token)', async () => {
    const payload = { iss: devIssuer.issuer, aud: AUDIENCE, sub: 'alice', tenant: 'acme', iat: NOW, exp: NOW + 60 };
    const verifier = await hsVerifier();
    for (const alg of ['none', 'None', 'NONE']) {
      await expectCode(verifier, `${b64({ alg, typ: 'JWT' })}.${b64(payload)}.`, 'ERR_IDENTITY_ALGORITHM');
    }
  });

  it('refuses a token signed with the wrong key', async () => {
    await expectCode(await hsVerifier(), await sign({}, { key: OTHER_KEY }), 'ERR_IDENTITY_SIGNATURE');
  });

  it('refuses a tampered payload', async () => {
    const token = await sign();
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = `${header}.${b64({ ...claims, tenant: 'globex', roles: ['admin'] })}.${signature}`;
    await expectCode(await hsVerifier(), forged, 'ERR_IDENTITY_SIGNATURE');
  });

  it('refuses malformed tokens', async () => {
    const verifier = await hsVerifier();
    for (const token of ['abc', 'a.b', 'a.b.c.d', '!!.??.**', `${b64({ alg: 'HS256' })}.not-json.sig`, 'x'.repeat(20000)]) {
      await expectCode(verifier, token, 'ERR_IDENTITY_MALFORMED');
    }
    await expectCode(verifier, '', 'ERR_IDENTITY_MISSING');
  });

  it('refuses a token that is not an access token (typ)', async () => {
    await expectCode(await hsVerifier(), await sign({}, { typ: 'logout+jwt' }), 'ERR_IDENTITY_CLAIMS');
    await (await hsVerifier()).verify(await sign({}, { typ: 'at+jwt' }));
  });

  it('refuses a lifetime longer than maxTokenAgeSeconds and a token issued too long ago', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({ iat: NOW - 10, exp: NOW + 3600 }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ iat: NOW - 7200, exp: NOW + 60 }), 'ERR_IDENTITY_EXPIRED');
  });

  it('requires sub, exp and iat', async () => {
    const verifier = await hsVerifier();
    for (const claim of ['sub', 'exp', 'iat']) {
      await expectCode(verifier, await sign({}, { omit: [claim] }), 'ERR_IDENTITY_CLAIMS');
    }
  });
});

describe('TokenVerifier: identity claims', () => {
  it('reads the RFC 8693 act chain, outermost actor first', async () => {
    const token = await sign({ act: { sub: 'agent:support-bot', act: { sub: 'svc:orchestrator' } } });
    const principal = await (await hsVerifier()).verify(token);
    assert.equal(principal.agent, 'agent:support-bot');
    assert.deepEqual(principal.delegation, ['agent:support-bot', 'svc:orchestrator']);
  });

  it('refuses a malformed or too deep act chain', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({ act: 'agent' }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ act: { act: { sub: 'x' } } }), 'ERR_IDENTITY_CLAIMS');
    let deep: Record<string, unknown> = { sub: 'a0' };
    for (let i = 1; i < 12; i++) deep = { sub: `a${i}`, act: deep };
    await expectCode(verifier, await sign({ act: deep }), 'ERR_IDENTITY_CLAIMS');
  });

  it('refuses a token without a tenant, or with a non-string tenant', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({}, { omit: ['tenant'] }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ tenant: 42 }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ tenant: '' }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ tenant: 'acme/alice' }), 'ERR_IDENTITY_CLAIMS');
  });

  it('refuses identity claims that are not well-formed unicode (a lone surrogate cannot be audited)', async () => {
    const verifier = await hsVerifier();
    const lone = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), fc.string({ maxLength: 8 })).map(([a, s, b]) => a + s + b);
    const claims = fc.constantFrom<(v: string) => Record<string, unknown>>(
      (v) => ({ sub: v }),
      (v) => ({ tenant: v }),
      (v) => ({ roles: ['support', v] }),
      (v) => ({ act: { sub: v } }),
      (v) => ({ sid: v }),
      (v) => ({ jti: v }),
    );
    await fc.assert(
      fc.asyncProperty(lone, claims, async (value, claim) => {
        await expectCode(verifier, await sign(claim(value)), 'ERR_IDENTITY_CLAIMS');
      }),
      { numRuns: 60 },
    );
    // A well-formed pair (an astral character) is fine.
    assert.equal((await verifier.verify(await sign({ sub: 'ali\ud83d\ude00ce' }))).user, 'ali\u{1f600}ce');
  });

  it('refuses roles that are not an array of strings; absent roles are empty', async () => {
    const verifier = await hsVerifier();
    await expectCode(verifier, await sign({ roles: 'admin' }), 'ERR_IDENTITY_CLAIMS');
    await expectCode(verifier, await sign({ roles: ['admin', 7] }), 'ERR_IDENTITY_CLAIMS');
    assert.deepEqual((await verifier.verify(await sign({}, { omit: ['roles'] }))).roles, []);
  });

  it('reads configured claim names, including a dotted path into nested claims', async () => {
    const issuer: IssuerConfig = { ...devIssuer, tenantClaim: 'https://example.com/org', rolesClaim: 'realm_access.roles' };
    const verifier = await TokenVerifier.create(identity([issuer]), {
      baseDir: '/',
      clock: new ManualClock(NOW_MS),
      resolveSecret,
    });
    const principal = await verifier.verify(
      await sign({ 'https://example.com/org': 'initech', realm_access: { roles: ['finance-lead'] } }, { omit: ['tenant', 'roles'] }),
    );
    assert.equal(principal.tenant, 'initech');
    assert.deepEqual(principal.roles, ['finance-lead']);
  });

  it('never echoes the token in any refusal (property)', async () => {
    const verifier = await hsVerifier();
    await fc.assert(
      fc.asyncProperty(
        fc.record({ sub: fc.string({ minLength: 1, maxLength: 30 }), tenant: fc.oneof(fc.string(), fc.integer()) }),
        fc.boolean(),
        async (claims, tamper) => {
          let token = await sign({ ...claims, exp: NOW - 1000, iat: NOW - 2000 }, tamper ? { key: OTHER_KEY } : {});
          if (tamper) token = `${token.slice(0, -3)}abc`;
          const err = await refusal(verifier, token);
          const rendered = JSON.stringify(err.toJSON()) + err.message;
          return !token.split('.').some((part) => part.length > 8 && rendered.includes(part));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('TokenVerifier: asymmetric algorithms with a local JWKS file', () => {
  type Pair = { alg: 'RS256' | 'ES256' | 'EdDSA'; privateKey: CryptoKey; jwk: JWK };
  const pairs: Pair[] = [];
  let dir = '';
  const clock = new ManualClock(NOW_MS);
  const issuerFor = (alg: string, file: string): IssuerConfig => ({
    issuer: `https://idp.example.com/${alg}`,
    algorithms: [alg as 'RS256'],
    jwksFile: file,
    tenantClaim: 'tenant',
    rolesClaim: 'roles',
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-jwks-'));
    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: `${alg}-1`, alg, use: 'sig' };
      pairs.push({ alg, privateKey, jwk });
    }
    await writeFile(join(dir, 'idp.jwks.json'), JSON.stringify({ keys: pairs.map((p) => p.jwk) }));
  });

  it('refuses a jwks file every user may write (anyone could swap in their own public key), and one that is not a regular file', async () => {
    const writable = join(dir, 'writable.jwks.json');
    await writeFile(writable, JSON.stringify({ keys: pairs.map((p) => p.jwk) }));
    await chmod(writable, 0o666);
    await assert.rejects(TokenVerifier.create(identity([issuerFor('ES256', 'writable.jwks.json')]), { baseDir: dir, clock }), (e: unknown) => {
      assert.ok(isAirlockError(e) && e.code === 'ERR_IDENTITY_CONFIG' && /writable by every user/.test(e.message), String(e));
      return true;
    });
    await chmod(writable, 0o644);
    await TokenVerifier.create(identity([issuerFor('ES256', 'writable.jwks.json')]), { baseDir: dir, clock });
    await assert.rejects(TokenVerifier.create(identity([issuerFor('ES256', '.')]), { baseDir: dir, clock }), /not a regular file/);
  });

  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`verifies ${alg} and refuses a token from another key`, async () => {
      const pair = pairs.find((p) => p.alg === alg);
      assert.ok(pair);
      const verifier = await TokenVerifier.create(identity([issuerFor(alg, 'idp.jwks.json')]), { baseDir: dir, clock });
      const iss = `https://idp.example.com/${alg}`;
      const principal = await verifier.verify(await sign({ iss }, { alg, kid: pair.jwk.kid ?? '', key: pair.privateKey }));
      assert.equal(principal.user, 'alice');
      assert.equal(principal.issuer, iss);
      const stranger = await generateKeyPair(alg);
      await expectCode(
        verifier,
        await sign({ iss }, { alg, kid: pair.jwk.kid ?? '', key: stranger.privateKey }),
        'ERR_IDENTITY_SIGNATURE',
      );
    });
  }

  it('refuses an HS256 token presented to an RS256-only issuer (algorithm confusion)', async () => {
    const rsa = pairs.find((p) => p.alg === 'RS256');
    assert.ok(rsa);
    const verifier = await TokenVerifier.create(identity([issuerFor('RS256', 'idp.jwks.json')]), { baseDir: dir, clock });
    // The classic attack: HMAC-sign with the issuer's *public* key as the shared secret.
    const publicAsSecret = new TextEncoder().encode(JSON.stringify(rsa.jwk));
    const token = await sign({ iss: 'https://idp.example.com/RS256' }, { alg: 'HS256', kid: 'RS256-1', key: publicAsSecret });
    await expectCode(verifier, token, 'ERR_IDENTITY_ALGORITHM');
  });

  it('refuses an RS256 token at an ES256-only issuer, and a token whose kid is unknown', async () => {
    const rsa = pairs.find((p) => p.alg === 'RS256');
    assert.ok(rsa);
    const verifier = await TokenVerifier.create(identity([issuerFor('ES256', 'idp.jwks.json')]), { baseDir: dir, clock });
    const iss = 'https://idp.example.com/ES256';
    await expectCode(verifier, await sign({ iss }, { alg: 'RS256', kid: 'RS256-1', key: rsa.privateKey }), 'ERR_IDENTITY_ALGORITHM');
    const es = pairs.find((p) => p.alg === 'ES256');
    assert.ok(es);
    await expectCode(verifier, await sign({ iss }, { alg: 'ES256', kid: 'nope', key: es.privateKey }), 'ERR_IDENTITY_SIGNATURE');
  });

  it('tries each candidate key when several match a token without kid (rotation)', async () => {
    const a = await generateKeyPair('ES256', { extractable: true });
    const b = await generateKeyPair('ES256', { extractable: true });
    await writeFile(
      join(dir, 'rotating.jwks.json'),
      JSON.stringify({ keys: [await exportJWK(a.publicKey), await exportJWK(b.publicKey)] }),
    );
    const verifier = await TokenVerifier.create(identity([issuerFor('ES256', 'rotating.jwks.json')]), { baseDir: dir, clock });
    const iss = 'https://idp.example.com/ES256';
    for (const key of [a.privateKey, b.privateKey]) {
      assert.equal((await verifier.verify(await sign({ iss }, { alg: 'ES256', key }))).user, 'alice');
    }
    const c = await generateKeyPair('ES256');
    await expectCode(verifier, await sign({ iss }, { alg: 'ES256', key: c.privateKey }), 'ERR_IDENTITY_SIGNATURE');
  });

  it('chooses the issuer by iss among several', async () => {
    const es = pairs.find((p) => p.alg === 'ES256');
    assert.ok(es);
    const verifier = await TokenVerifier.create(identity([devIssuer, issuerFor('ES256', 'idp.jwks.json')]), {
      baseDir: dir,
      clock,
      resolveSecret,
    });
    assert.equal((await verifier.verify(await sign())).issuer, devIssuer.issuer);
    const token = await sign({ iss: 'https://idp.example.com/ES256' }, { alg: 'ES256', kid: 'ES256-1', key: es.privateKey });
    assert.equal((await verifier.verify(token)).issuer, 'https://idp.example.com/ES256');
    // A dev HS256 token cannot pass itself off as the ES256 issuer.
    await expectCode(verifier, await sign({ iss: 'https://idp.example.com/ES256' }), 'ERR_IDENTITY_ALGORITHM');
  });
});

describe('TokenVerifier.create: refuses unsafe setups', () => {
  const create = (issuers: IssuerConfig[], options: Partial<Parameters<typeof TokenVerifier.create>[1]> = {}) =>
    TokenVerifier.create(identity(issuers), { baseDir: '/', resolveSecret, ...options });

  it('refuses a short HS256 secret', async () => {
    await assert.rejects(create([devIssuer], { resolveSecret: async () => new Uint8Array(16) }), { code: 'ERR_IDENTITY_CONFIG' });
  });

  it('refuses HS256 without a secret resolver', async () => {
    await assert.rejects(TokenVerifier.create(identity([devIssuer]), { baseDir: '/' }), { code: 'ERR_IDENTITY_CONFIG' });
  });

  it('refuses HS256 mixed with an asymmetric algorithm', async () => {
    await assert.rejects(create([{ ...devIssuer, algorithms: ['HS256', 'RS256'] }]), { code: 'ERR_IDENTITY_CONFIG' });
  });

  it('refuses a JWKS holding private or symmetric key material', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'airlock-jwks-'));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await writeFile(join(dir, 'private.json'), JSON.stringify({ keys: [await exportJWK(privateKey)] }));
    await writeFile(join(dir, 'oct.json'), JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }));
    for (const file of ['private.json', 'oct.json']) {
      const issuer: IssuerConfig = { ...devIssuer, algorithms: ['ES256'], jwksFile: file };
      delete issuer.secret;
      await assert.rejects(create([issuer], { baseDir: dir }), { code: 'ERR_IDENTITY_CONFIG' });
    }
  });

  it('refuses a plain-http remote JWKS off loopback', async () => {
    const issuer: IssuerConfig = { ...devIssuer, algorithms: ['RS256'], jwksUrl: 'http://idp.example.com/jwks' };
    delete issuer.secret;
    await assert.rejects(create([issuer]), { code: 'ERR_IDENTITY_CONFIG' });
  });
});
