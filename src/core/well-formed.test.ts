import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalize } from './canonical.ts';
import { escapeIllFormed, isWellFormedJson } from './well-formed.ts';

test('a lone surrogate in a value or a key is escaped, and its path listed', () => {
  const escaped: string[] = [];
  const out = escapeIllFormed({ tool: 'crm.exportCustomers\ud800', args: { '\ud800': 1, ok: ['fine', 'x\udc00'] } }, escaped);
  assert.deepEqual(out, { tool: 'crm.exportCustomers\\ud800', args: { '\\ud800': 1, ok: ['fine', 'x\\udc00'] } });
  assert.deepEqual(escaped.sort(), ['$.args.ok[1]', '$.args{\\ud800}', '$.tool'].sort());
  assert.doesNotThrow(() => canonicalize(out));
});

test('an escaped key never overwrites a well-formed key that spells the same escape', () => {
  const escaped: string[] = [];
  const out = escapeIllFormed({ '\\ud800': 'literal', '\ud800': 'lone' }, escaped) as Record<string, string>;
  assert.equal(Object.keys(out).length, 2);
  assert.equal(out['\\ud800'], 'literal');
  assert.equal(out['\\ud800~'], 'lone');
  assert.deepEqual(escaped, ['${\\ud800~}']);
});

test('well-formed values come back as the same objects', () => {
  const value = { a: ['b', { c: 'd\u{1F600}' }], n: 1, z: null };
  const escaped: string[] = [];
  assert.equal(escapeIllFormed(value, escaped), value);
  assert.deepEqual(escaped, []);
});

test('property: any JSON value becomes canonicalizable, and each escaped string decodes to the original', () => {
  const text = fc.string({ unit: 'binary', maxLength: 12 });
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(text, tie('value'), { maxKeys: 4 })),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      const escaped: string[] = [];
      const out = escapeIllFormed(value, escaped);
      assert.equal(isWellFormedJson(out), true);
      assert.doesNotThrow(() => canonicalize(out));
      assert.equal(escaped.length === 0, isWellFormedJson(value));
      if (typeof value === 'string' && escaped.length === 1) assert.equal(JSON.parse(`"${out as string}"`), value);
    }),
    { numRuns: 300 },
  );
});
