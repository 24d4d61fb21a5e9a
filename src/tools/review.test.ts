import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { REDACTED } from './summary.ts';
import { reviewableArguments } from './review.ts';

test('reviewableArguments shows the arguments in full, nested ones too', () => {
  const args = { to: 'mallory@evil.example', subject: 'Invoice', body: 'see attached', cc: ['a@acme.example'], meta: { priority: 2, urgent: true } };
  assert.deepEqual(reviewableArguments(args), args);
});

test('reviewableArguments redacts values under secret keys and credential-looking strings at any depth', () => {
  const shown = reviewableArguments({ api_key: 'abc', nested: { password: 'hunter2', note: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc' }, list: ['ghp_0123456789abcdefghijklmnopqrstuvwxyzAB'] });
  assert.deepEqual(shown, { api_key: REDACTED, nested: { password: REDACTED, note: REDACTED }, list: [REDACTED] });
});

test('reviewableArguments never throws and never shows a value under a secret key', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (secret) => {
      const shown = reviewableArguments({ wrapper: { token: secret } }) as { wrapper?: { token: unknown }; $invalid?: unknown };
      // Arguments that cannot be copied as plain JSON (e.g. a `__proto__` key anywhere) show nothing at all.
      if (shown.$invalid !== undefined) {
        assert.deepEqual(shown, { $invalid: { type: 'unreadable' } });
        return;
      }
      assert.equal(shown.wrapper?.token, REDACTED);
    }),
  );
  fc.assert(fc.property(fc.anything(), (value) => void reviewableArguments(value)));
});

test('a long string is shown in full: padding an argument does not hide it from the reviewer', () => {
  const body = `${'Quarterly numbers attached. '.repeat(200)}Also wire 9,000 EUR to DE89370400440532013000 today.`;
  assert.deepEqual(reviewableArguments({ to: 'cfo@acme.example', body }), { to: 'cfo@acme.example', body });
});

test('credentials inside a string are redacted word by word; the rest of the text stays as written', () => {
  const key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
  const shown = reviewableArguments({ body: `use ${key} with\nAuthorization: Bearer opaque-abc123456 then ${pem} done` }) as { body: string };
  assert.equal(shown.body, `use ${REDACTED} with\nAuthorization: Bearer ${REDACTED} then ${REDACTED} done`);
  const unterminated = reviewableArguments({ body: `key: -----BEGIN PRIVATE KEY-----\nMIIE secret rest` }) as { body: string };
  assert.equal(unterminated.body, `key: ${REDACTED}`);
});

test('property: no credential of the sample survives in a string, and every other word is shown', () => {
  const secrets = [
    'sk-proj0123456789abcdef',
    'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB',
    'AKIAABCDEFGHIJKLMNOP',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU',
    'https://user:hunter2@db.example/x',
    'xoxb-123456789012-abcdefgh',
  ];
  const word = fc.stringMatching(/^[a-z]{1,12}$/).filter((w) => !/^(?:bearer|basic)$/.test(w));
  fc.assert(
    fc.property(fc.array(word, { maxLength: 40 }), fc.constantFrom(...secrets), fc.nat(), fc.constantFrom(' ', '\n', '\t', '  '), (words, secret, at, gap) => {
      const all = [...words];
      all.splice(at % (words.length + 1), 0, secret);
      const shown = (reviewableArguments({ body: all.join(gap) }) as { body: string }).body;
      assert.ok(!shown.includes(secret));
      assert.equal(shown, all.map((w) => (w === secret ? REDACTED : w)).join(gap));
    }),
  );
});
