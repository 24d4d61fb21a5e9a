import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { containsSecret, findSecrets, redact } from './redact.ts';

test('each data class is redacted only when asked for', () => {
  const text = 'Mail ada@lovelace.example, IBAN DE89 3704 0044 0532 0130 00, card 4111 1111 1111 1111, call +1 (555) 123-4567, key sk-live0123456789abcdef.';
  const all = redact(text, ['email', 'iban', 'card', 'phone', 'secret']);
  assert.equal(all.text, 'Mail [REDACTED:email], IBAN [REDACTED:iban], card [REDACTED:card], call [REDACTED:phone], key [REDACTED:secret].');
  assert.deepEqual(all.counts, { secret: 1, card: 1, iban: 1, email: 1, phone: 1 });
  const emailOnly = redact(text, ['email']);
  assert.ok(emailOnly.text.includes('4111 1111 1111 1111') && !emailOnly.text.includes('ada@'));
  assert.deepEqual(redact(text, []).text, text);
});

test('no false cards, phones or IBANs in ordinary numbers', () => {
  const text = 'Order 4111 1111 1111 1112 shipped on 2026-03-01, ticket 12-34, total 1,250.00, ref AB12.';
  assert.equal(redact(text, ['card', 'phone', 'iban']).text, text);
});

test('secrets: tokens, PEM blocks, credentials in URLs, key=value, bearer, long blobs', () => {
  const samples = [
    'ghp_abcdefghijklmnopqrstuvwxyz0123',
    'AKIAABCDEFGHIJKLMNOP',
    '-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----',
    'https://user:hunter2@db.example/x',
    'password = hunter22',
    'Authorization: Bearer abcdefghijklmnop',
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl',
    'x'.repeat(2000),
  ];
  for (const s of samples) {
    assert.ok(containsSecret(`before ${s} after`), s.slice(0, 30));
    const out = redact(`before ${s} after`, ['secret']).text;
    assert.ok(out.startsWith('before ') && out.includes('[REDACTED:secret]'), out.slice(0, 60));
  }
  assert.equal(containsSecret('the quick brown fox, a password reset was requested'), false);
});

test('key=value secrets in .env, JSON, YAML and JSON-escaped text', () => {
  const forms = [
    (k: string, v: string) => `${k}=${v}`,
    (k: string, v: string) => `${k} = ${v}`,
    (k: string, v: string) => `{"${k}": "${v}"}`,
    (k: string, v: string) => `{"${k}":"${v}"}`,
    (k: string, v: string) => `${k}: "${v}"`,
    (k: string, v: string) => `${k}: '${v}'`,
    (k: string, v: string) => `{"log":"started\\n${k}=${v}"}`,
    (k: string, v: string) => `{"body":"{\\"${k}\\":\\"${v}\\"}"}`,
  ];
  fc.assert(
    fc.property(
      fc.constantFrom('password', 'PASSWORD', 'passwd', 'pwd', 'secret', 'api_key', 'apiKey', 'access_token', 'client_secret', 'secret_access_key'),
      fc.constantFrom('', 'DB_', 'aws_', 'STRIPE_', 'MYSQL_ROOT_', 'app-'),
      fc.constantFrom(...forms),
      fc.stringMatching(/^[A-Za-z0-9/+]{8,40}$/),
      (key, prefix, form, value) => {
        const out = redact(`config ${form(prefix + key, value)} end`, ['secret']).text;
        assert.ok(!out.includes(value), out);
        assert.ok(out.startsWith('config ') && out.endsWith(' end'), out);
      },
    ),
    { numRuns: 400 },
  );
  for (const text of ['a password reset was requested', 'secretary: Jane Smith', 'api keys: see the docs', 'the passwords: none', 'superpassword=x12345']) {
    assert.equal(redact(text, ['secret']).text, text);
  }
});

// 200,000 characters of each unit: a backtracking or quadratic pattern takes minutes on them,
// linear redaction milliseconds. The test's time limit is the bound, not a measured duration
// (which a loaded machine skews).
test('redaction is linear on hostile input', { timeout: 60_000 }, () => {
  for (const unit of ['a', 'a@', '1 ', 'eyJ', 'sk-', '-----BEGIN ', 'DE89 ', 'bearer ', '1-', `${'a'.repeat(1000)} `]) {
    const full = unit.repeat(Math.floor(200_000 / unit.length));
    for (let i = 0; i < 3; i++) assert.equal(typeof redact(full, ['email', 'iban', 'card', 'phone', 'secret']).text, 'string');
  }
});

test('a blob is exactly a run of more than 1,024 characters without whitespace, whole', () => {
  const run = fc.record({ length: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 1100 })), char: fc.constantFrom('x', 'y', '.', '\u00e9') });
  fc.assert(
    fc.property(fc.array(fc.tuple(run, fc.constantFrom(' ', '\n', '\t', '\u00a0', '  ')), { maxLength: 8 }), (parts) => {
      let text = '';
      const expected: Array<[number, number]> = [];
      for (const [{ length, char }, gap] of parts) {
        if (length > 1024) expected.push([text.length, text.length + length]);
        text += char.repeat(length) + gap;
      }
      assert.deepEqual(findSecrets(text), expected);
    }),
    { numRuns: 300 },
  );
});

test('international numbers are found with stack traces off, and the process keeps its own limit', () => {
  const before = Error.stackTraceLimit;
  Error.stackTraceLimit = 17;
  try {
    const out = redact('call +1 +44 +1 (555) 123-4567 or +44 20 7946 0958, not +12', ['phone']);
    assert.equal(out.text, 'call +1 +44 [REDACTED:phone] or [REDACTED:phone], not +12');
    assert.equal(Error.stackTraceLimit, 17);
  } finally {
    Error.stackTraceLimit = before;
  }
});
