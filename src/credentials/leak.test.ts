/**
 * Leak scan: drives every refusal and record this module produces and checks that no error
 * (message, JSON, inspect, details) and no record contains a token, a token's signature or
 * the signing key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { CredentialBroker, credentialRecord } from './broker.ts';
import { MemoryRevocationStore } from './memory-revocations.ts';
import { ISSUER, KEY, OTHER_KEY, request, setup } from './test-support.ts';
import { createCredentialVerifier } from './verifier.ts';

test('no error or record contains a token, its signature or the key', async () => {
  const { broker, verifier, clock } = setup({ oneTime: true });
  const secrets: string[] = [new TextDecoder().decode(KEY), Buffer.from(KEY).toString('base64url'), Buffer.from(KEY).toString('hex')];
  const outputs: string[] = [];
  const capture = async (work: Promise<unknown>): Promise<void> => {
    try {
      const value = await work;
      outputs.push(JSON.stringify(value), inspect(value, { depth: 10 }));
    } catch (err) {
      const e = err as Error & { toJSON?: () => unknown; details?: unknown };
      outputs.push(e.message, String(e.stack), JSON.stringify(e), inspect(e, { depth: 10 }), JSON.stringify(e.details ?? null));
    }
  };
  const mint = async (overrides = {}) => {
    const minted = await broker.mint(request(overrides));
    secrets.push(minted.token, minted.token.split('.')[2] as string);
    outputs.push(JSON.stringify(minted), inspect(minted), JSON.stringify(credentialRecord(minted)), inspect({ minted }, { depth: 5 }));
    return minted;
  };

  const good = await mint();
  await capture(verifier.verify(good.token));
  await capture(verifier.verify(good.token)); // replay
  await capture(verifier.verify(`${good.token}x`)); // tampered signature
  await capture(verifier.verify((await mint({ scope: 'a' })).token, { scope: 'b' }));
  await capture(verifier.verify((await mint({ actionHash: 'h1' })).token, { actionHash: 'h2' }));
  await capture(verifier.verify((await mint({ audience: 'mail' })).token));
  const forger = new CredentialBroker({ key: OTHER_KEY, issuer: ISSUER, maxTtlSeconds: 60, clock, revocations: new MemoryRevocationStore() });
  const forged = await forger.mint(request());
  secrets.push(forged.token);
  await capture(verifier.verify(forged.token));
  const revoked = await mint();
  await broker.revoke({ kind: 'jti', jti: revoked.jti });
  await capture(verifier.verify(revoked.token));
  const expiring = await mint({ ttlSeconds: 1 });
  clock.advance(5_000);
  await capture(verifier.verify(expiring.token));
  await capture(broker.mint(request({ scope: '' })));
  await capture(Promise.resolve().then(() => createCredentialVerifier({ key: KEY.slice(0, 8), issuer: ISSUER, audience: 'crm' })));
  outputs.push(JSON.stringify(broker), inspect(broker));

  assert.ok(outputs.length > 40);
  for (const text of outputs) {
    for (const secret of secrets) assert.equal(text.includes(secret), false, `leak in: ${text.slice(0, 120)}`);
  }
});
