/**
 * Property tests of data-class redaction: whatever ordinary text surrounds them, embedded
 * valid emails, IBANs (checksummed), card numbers (Luhn), US SSNs, UK NINOs, international
 * phone numbers and secrets never survive redaction; redaction is idempotent; text holding
 * none of them is left exactly as it was; and a replacer sees exactly the values it replaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REDACTION_CLASSES, redact } from './redact.ts';

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));

function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** mod 97 of a long digit string. */
function mod97(value: string): number {
  let rest = 0;
  for (const ch of value) rest = (rest * 10 + Number(ch)) % 97;
  return rest;
}

const card = digits(15).map((body) => `4${body.slice(1)}`).map((body) => `${body}${luhnDigit(body)}`).map((n) => n.replace(/(\d{4})(?=\d)/g, '$1 '));
const iban = digits(18).map((bban) => {
  const check = String(98 - mod97(`${bban}131400`)).padStart(2, '0'); // DE = 13 14, check digits 00
  return `DE${check}${bban}`.replace(/(.{4})(?=.)/g, '$1 ');
});
const email = fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[a-z]{2,10}$/)).map(([local, domain]) => `${local}@${domain}.example`);
const ssn = fc.tuple(fc.integer({ min: 1, max: 665 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 })).map(
  ([a, g, s]) => `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
);
const nino = fc.tuple(fc.constantFrom('AB', 'CE', 'JT', 'PR', 'WX'), digits(6), fc.constantFrom('A', 'B', 'C', 'D')).map(([p, d, s]) => `${p}${d}${s}`);
const phone = fc.constantFrom('+44 20 7946 0958', '+49 30 901820', '+33 1 42 68 53 00', '+1 415 555 2671');
const secret = fc.stringMatching(/^[A-Za-z0-9]{20,40}$/).map((s) => `sk-${s}`);
const value = fc.oneof(card, iban, email, ssn, nino, phone, secret);
/** Ordinary words: letters and punctuation only (no digits, no `@`, no `+`). */
const filler = fc.array(fc.stringMatching(/^[A-Za-z]{1,12}[.,;:!?]?$/), { maxLength: 12 }).map((words) => words.join(' '));

const compact = (s: string) => s.replace(/[\s-]/g, '');

test('property: no embedded data value survives redaction, whatever surrounds it', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(filler, value), { minLength: 1, maxLength: 6 }), filler, (parts, tail) => {
      const text = parts.map(([f, v]) => `${f} ${v} `).join('') + tail;
      const out = redact(text, REDACTION_CLASSES).text;
      for (const [, v] of parts) {
        assert.ok(!out.includes(v), `${v} survived in ${out}`);
        assert.ok(!compact(out).includes(compact(v)), `${v} survived (compacted) in ${out}`);
      }
    }),
    { numRuns: 400 },
  );
});

test('property: redaction is idempotent, and text with no data class is unchanged', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(filler, fc.option(value)), { maxLength: 6 }), (parts) => {
      const text = parts.map(([f, v]) => `${f} ${v ?? ''}`).join(' ');
      const once = redact(text, REDACTION_CLASSES).text;
      assert.equal(redact(once, REDACTION_CLASSES).text, once);
      if (parts.every(([, v]) => v === null)) assert.equal(once, text);
    }),
    { numRuns: 300 },
  );
});

test('property: a replacer is handed exactly the values it replaces, and the counts agree', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(filler, value), { minLength: 1, maxLength: 5 }), (parts) => {
      const text = parts.map(([f, v]) => `${f} ${v}`).join(' . ');
      const seen: string[] = [];
      const result = redact(text, REDACTION_CLASSES, (cls, v) => {
        seen.push(v);
        return `<${cls}:${seen.length - 1}>`;
      });
      const total = Object.values(result.counts).reduce((n, c) => n + (c ?? 0), 0);
      assert.equal(total, seen.length);
      for (const v of seen) assert.ok(text.includes(v), `the replacer saw ${v}, which is not in the text`);
      for (const [, v] of parts) assert.ok(seen.some((s) => compact(s).includes(compact(v)) || compact(v).includes(compact(s))), `${v} was not handed to the replacer`);
    }),
    { numRuns: 300 },
  );
});

test('checksums decide: an IBAN or card number with a wrong check digit is not redacted as one', () => {
  assert.equal(redact('IBAN DE89 3704 0044 0532 0130 00', ['iban']).text, 'IBAN [REDACTED:iban]');
  assert.equal(redact('IBAN DE88 3704 0044 0532 0130 00', ['iban']).text, 'IBAN DE88 3704 0044 0532 0130 00');
  assert.equal(redact('card 4111 1111 1111 1112', ['card']).text, 'card 4111 1111 1111 1112');
  assert.equal(redact('ssn 078-05-1120 or 000-12-3456', ['national_id']).text, 'ssn [REDACTED:national_id] or 000-12-3456');
  assert.equal(redact('NINO QQ123456C vs AB123456C', ['national_id']).text, 'NINO QQ123456C vs [REDACTED:national_id]');
});
