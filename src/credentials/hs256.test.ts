import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SignJWT, jwtVerify } from 'jose';
import { hs256Key, signHs256 } from './hs256.ts';

const claimValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string(), { maxKeys: 3 }));

describe('HS256 credential signing', () => {
  it('produces the same token as jose SignJWT for the same header and claims', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 64 }), fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), claimValue, { maxKeys: 6 }), async (secret, extra) => {
        const claims = { ...extra, iss: 'airlock', aud: 'crm', sub: 'fin', jti: 'jti_1', iat: 1_700_000_000, exp: 1_700_000_060 };
        const ours = signHs256({ alg: 'HS256', typ: 'airlock-credential+jwt' }, claims, hs256Key(secret));
        const theirs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'airlock-credential+jwt' }).sign(secret);
        assert.equal(ours, theirs);
      }),
      { numRuns: 200 },
    );
  });

  it('verifies with jose under its key only; a changed claim or another key fails', async () => {
    const secret = randomBytes(32);
    const now = Math.floor(Date.now() / 1000);
    const token = signHs256({ alg: 'HS256' }, { tenant: 'acme', iss: 'airlock', aud: 'crm', sub: 'fin', iat: now, exp: now + 60 }, hs256Key(secret));
    const { payload } = await jwtVerify(token, secret, { issuer: 'airlock', audience: 'crm', algorithms: ['HS256'] });
    assert.equal(payload.tenant, 'acme');
    await assert.rejects(jwtVerify(token, randomBytes(32), { algorithms: ['HS256'] }));
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ tenant: 'globex', iss: 'airlock', aud: 'crm', sub: 'fin', iat: now, exp: now + 60 })).toString('base64url')}.${s}`;
    await assert.rejects(jwtVerify(forged, secret, { algorithms: ['HS256'] }));
  });
});
