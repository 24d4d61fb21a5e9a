import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonValue } from '../core/canonical.ts';
import { mapStrings } from './json.ts';

const SECRET = 'ada@lovelace.example';
const hide = (text: string) => text.replaceAll(SECRET, '[REDACTED]');

function strings(value: JsonValue, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

test('keys are strings the reader sees: they are transformed too', () => {
  const out = mapStrings({ [SECRET]: 1, nested: [{ [`x ${SECRET}`]: SECRET }] }, hide);
  assert.deepEqual(out, { '[REDACTED]': 1, nested: [{ 'x [REDACTED]': '[REDACTED]' }] });
});

test('keys that transform to the same text both stay; a __proto__ key stays a key', () => {
  const value = JSON.parse(`{"${SECRET}": 1, "[REDACTED]": 2, "__proto__": "${SECRET}"}`) as JsonValue;
  const out = mapStrings(value, hide) as Record<string, JsonValue>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.entries(out), [['[REDACTED]', 1], ['[REDACTED] (2)', 2], ['__proto__', '[REDACTED]']]);
});

test('property: no string of the output, key or value, still holds what the transformation removes; sizes are kept', () => {
  const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(SECRET), fc.string({ maxLength: 4 }).map((s) => `${s}${SECRET}`));
  const json = fc.letrec<{ value: JsonValue }>((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      const out = mapStrings(value, hide);
      for (const s of strings(out)) assert.ok(!s.includes(SECRET), s);
      assert.equal(strings(out).length, strings(value).length);
    }),
    { numRuns: 300 },
  );
});
