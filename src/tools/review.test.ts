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
