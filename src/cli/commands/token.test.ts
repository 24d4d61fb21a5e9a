/**
 * Tests for `airlock token mint`: it never hands out a token the gateway would refuse for its
 * lifetime, and reads --ttl as plain seconds. (Minting itself: test/e2e/cli.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { mintTtl, tokenMintCommand } from './token.ts';

function configWithMaxAge(maxAge: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-token-mint-'));
  writeFileSync(join(dir, 'dev.key'), 'a-dev-signing-key-for-the-mint-tests-0123456789\n', { mode: 0o600 });
  const path = join(dir, 'airlock.yaml');
  writeFileSync(
    path,
    ['identity:', '  audience: airlock', `  max_token_age_seconds: ${maxAge}`, '  issuers:', '    - issuer: dev', '      algorithms: [HS256]', '      secret: file:dev.key', ''].join('\n'),
  );
  return path;
}

describe('airlock token mint', () => {
  it('refuses a --ttl above identity.max_token_age_seconds before minting (the gateway would refuse the token)', async () => {
    await assert.rejects(tokenMintCommand({ config: configWithMaxAge(600), sub: 'sam', tenant: 'acme', ttl: '601' }), (err: Error & { code?: string; status?: number }) => {
      assert.equal(err.code, 'ERR_CLI_USAGE');
      assert.equal(err.status, 400); // exit 2
      assert.match(err.message, /--ttl 601 exceeds identity\.max_token_age_seconds \(600\)/);
      return true;
    });
  });

  it('takes lifetimes up to the maximum token age, and the default only when it fits', () => {
    assert.equal(mintTtl('600', 600), 600);
    assert.equal(mintTtl(undefined, 86_400), 3600);
    assert.equal(mintTtl(undefined, 600), 600);
  });

  it('reads --ttl as plain decimal seconds', () => {
    for (const ttl of ['0', '-5', '1e3', '0x10', '10.5', ' 60', 'abc', '']) {
      assert.throws(() => mintTtl(ttl, 86_400), { code: 'ERR_CLI_USAGE' }, JSON.stringify(ttl));
    }
  });
});
