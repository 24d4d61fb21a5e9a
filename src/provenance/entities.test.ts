import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalNumber, extractEntities, isDomain } from './entities.ts';
import { fold } from './text.ts';

const entities = (text: string) => extractEntities(fold(text));

test('emails are folded and yield their domain', () => {
  const found = entities('Write to Mark.Black-2134@Gmail.COM, or <ops@corp.example>.');
  assert.ok(found.has('mark.black-2134@gmail.com'));
  assert.ok(found.has('gmail.com'));
  assert.ok(found.has('ops@corp.example'));
  assert.ok(found.has('corp.example'));
});

test('URLs lose scheme, www, query, fragment and trailing slash; their host is a domain', () => {
  for (const url of ['https://www.secure-systems-252.com/login/?next=1', 'http://secure-systems-252.com/login#x', 'www.secure-systems-252.com/login/']) {
    const found = entities(`visit ${url} now`);
    assert.ok(found.has('secure-systems-252.com/login'), url);
    assert.ok(found.has('secure-systems-252.com'), url);
  }
  assert.ok(entities('see example.org.').has('example.org'));
});

test('IBANs match with or without spaces', () => {
  const spaced = entities('IBAN DE89 3704 0044 0532 0130 00 from you');
  const compact = entities('DE89370400440532013000');
  assert.ok(spaced.has('de89370400440532013000'));
  assert.ok(compact.has('de89370400440532013000'));
  assert.ok(entities('GB82 WEST 1234 5698 7654 32.').has('gb82west12345698765432'));
  for (const separator of ['-', '.', '\t', '\n', '  ', ' - ']) {
    assert.ok(entities(`pay to GB82${separator}WEST${separator}1234${separator}5698${separator}7654${separator}32 today`).has('gb82west12345698765432'), JSON.stringify(separator));
  }
});

test('addresses spelled so that they do not read as addresses yield their plain form too', () => {
  const found = entities('write to eve [at] evil [dot] example or bob (at) corp (dot) example, see hxxps://drop[.]example/x');
  for (const key of ['eve@evil.example', 'bob@corp.example', 'drop.example/x', 'drop.example']) assert.ok(found.has(key), key);
  assert.ok(entities('mail ann at mail dot example today').has('ann@mail.example'));
  assert.ok(!entities('we met at noon and left at five').has('met@noon'), 'plain prose is not an address');
});

test('card and account numbers in groups become their digits, up to 34 of them', () => {
  assert.ok(entities('card 4111-1111-1111-1111 exp 12/29').has('4111111111111111'));
  assert.ok(entities('account 0123 4567 8901 2345 6789 0123 4567 8901 23').has('0123456789012345678901234567890123'));
  assert.ok(!entities('0123 4567 8901 2345 6789 0123 4567 8901 234').has('01234567890123456789012345678901234'), 'more than 34 digits is not one number');
});

test('phone numbers become their digits', () => {
  assert.ok(entities('call +1 (555) 123-4567 today').has('15551234567'));
  assert.ok(entities('call 555.123.4567').has('5551234567'));
  assert.ok(!entities('room 12-34').has('1234'), 'too few digits for a phone');
});

test('file paths', () => {
  const found = entities('read /etc/passwd and ~/notes/todo and docs/report.pdf and C:\\Users\\x\\a.txt; not and/or');
  for (const path of ['/etc/passwd', '~/notes/todo', 'docs/report.pdf', 'c:/users/x/a.txt']) assert.ok(found.has(path), path);
  assert.ok(!found.has('and/or'));
});

test('identifiers need 4 characters and a digit or underscore; numbers 4 digits', () => {
  const found = entities('Customer cus_acme_ada paid $1,000.00 (ref INV-2024-001), 98.70 and 250 too; the meeting is wonderful');
  for (const e of ['cus_acme_ada', 'inv-2024-001', '1000']) assert.ok(found.has(e), e);
  for (const e of ['98.7', '250', 'meeting', 'wonderful', 'the']) assert.ok(!found.has(e), e);
});

test("a model's rewrites of a value match it: phone numbers, amounts in other locales, links without their scheme, home paths", () => {
  const same = (a: string, b: string) => [...entities(a)].some((e) => entities(b).has(e));
  // Phone numbers: national and international, with or without a trunk prefix.
  assert.ok(same('call (555) 123-4567', '+15551234567'));
  assert.ok(same('call +44 20 7946 0958', '020 7946 0958'));
  assert.ok(same('call +33 6 12 34 56 78', '0612345678'));
  assert.ok(entities('+15551234567').has('tel:551234567'));
  // Amounts: a decimal comma, thousands after `.`, space or `'`.
  for (const written of ['1.234,56 €', '1 234,56 EUR', "CHF 1'234.56", '1234,56', '1\u00a0234,56']) assert.ok(entities(written).has('1234.56'), written);
  assert.ok(entities('12.500.000').has('12500000'));
  assert.ok(!entities('rate 1.234 today').has('1234'), 'one group after a point, no comma: an English decimal');
  // A link written without its scheme is the link: under a host the user named, its path is the attacker's.
  for (const written of ['see github.com/attacker/payload.', 'https://github.com/attacker/payload']) {
    const found = entities(written);
    for (const key of ['github.com/attacker/payload', 'github.com', '/attacker/payload']) assert.ok(found.has(key), `${written}: ${key}`);
  }
  assert.ok(!entities('https://x.example/home').has('/home'), 'a short URL path is not a path of its own');
  assert.ok(!entities('and/or').has('and/or'));
  // Home paths: `~` and the home directory spelled out.
  for (const written of ['~/Documents/secrets', '/home/alice/Documents/secrets', '/Users/alice/Documents/secrets', 'C:\\Users\\alice\\Documents\\secrets']) {
    assert.ok(entities(written).has('~/documents/secrets'), written);
  }
});

test('plain prose has no entities', () => {
  assert.equal(entities('Please remember to bring the quarterly report to the meeting tomorrow.').size, 0);
});

test('canonical numbers', () => {
  assert.equal(canonicalNumber('1000.00'), '1000');
  assert.equal(canonicalNumber('12.50'), '12.5');
  assert.equal(canonicalNumber('007'), '007');
  assert.equal(canonicalNumber('1e5'), null);
});

test('domains', () => {
  assert.ok(isDomain('a.example'));
  assert.ok(!isDomain('a.b1'));
  assert.ok(!isDomain('example'));
});

// Each of these inputs would take minutes with a backtracking (or merely quadratic) pattern:
// 200,000 characters squared is 4e10 steps. Linear extraction finishes them in milliseconds, so
// the test's own time limit is the bound, not a measured duration (which a loaded machine skews).
test('extraction is linear on hostile input (no catastrophic backtracking)', { timeout: 60_000 }, () => {
  const hostile = [
    'a'.repeat(200_000),
    '1 '.repeat(100_000),
    'a@'.repeat(100_000),
    'www.'.repeat(50_000),
    '/a'.repeat(100_000),
    'de89 '.repeat(40_000),
    'x.'.repeat(100_000),
    '123 '.repeat(50_000),
    `${'1.234'.repeat(40_000)}5`,
    "1'234 ".repeat(30_000),
    '1234,'.repeat(40_000),
    `${'1 234'.repeat(40_000)}5,1`,
    'a.example/'.repeat(20_000),
    '/home/'.repeat(30_000),
  ];
  for (const text of hostile) {
    for (let i = 0; i < 3; i++) assert.ok(entities(text) instanceof Set);
  }
});
