import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ReferenceTokens } from './references.ts';

const tokens = new ReferenceTokens(randomBytes(32));

test('property: a token opens to its value for its tenant only', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.constantFrom('email', 'iban', 'card'), (value, cls) => {
      const token = tokens.mint('acme', cls, value) as string;
      assert.deepEqual(tokens.resolve('acme', token), { cls, value });
      assert.throws(() => tokens.resolve('globex', token), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN', status: 404 });
    }),
    { numRuns: 200 },
  );
});

test('a tampered, relabelled or foreign-key token is refused like an unknown one', () => {
  const token = tokens.mint('acme', 'email', 'ada@lovelace.example') as string;
  assert.ok(!token.includes('ada') && !token.includes('lovelace'), 'the value is sealed, not encoded');
  assert.throws(() => tokens.resolve('acme', token.replace('ref:email:', 'ref:iban:')), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN' });
  const tampered = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
  assert.throws(() => tokens.resolve('acme', tampered), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN' });
  assert.throws(() => new ReferenceTokens(randomBytes(32)).resolve('acme', token), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN' });
  assert.throws(() => tokens.resolve('acme', 'not a token'), { code: 'ERR_OUTPUT_REFERENCE_UNKNOWN' });
  assert.deepEqual(ReferenceTokens.find(`mail ${token} and ${token}`), [token, token]);
  assert.throws(() => new ReferenceTokens(randomBytes(16)), { code: 'ERR_OUTPUT_REFERENCE_KEY' });
});
