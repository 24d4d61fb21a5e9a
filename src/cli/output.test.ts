import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { printable, table } from './output.ts';

const OBEYED = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

test('a table shows the control characters of its data instead of sending them to the terminal', () => {
  const tool = 'crm.get\u001b[2J\u001b[H\u001b]52;c;ZXZpbA==\u0007fake\rALLOW\u202eevil';
  const out = table(['tool', 'outcome'], [[tool, 'deny'], ['line\nbreak', 'allow']]);
  assert.ok(!OBEYED.test(out), JSON.stringify(out));
  assert.equal(out.split('\n').length, 4, 'a line feed in a cell does not make a row');
  assert.match(out, /crm\.get␛\[2J␛\[H␛\]52;c;ZXZpbA==␇fake␍ALLOW\\u\{202e\}evil/);
});

test("printable keeps this module's own colour codes and line feeds when asked, and nothing else", () => {
  assert.equal(printable('\u001b[32mOK\u001b[0m done'), '\u001b[32mOK\u001b[0m done');
  assert.equal(printable('\u001b[8mhidden\u001b[0m'), '␛[8mhidden\u001b[0m');
  assert.equal(printable('a\nb', { newlines: true }), 'a\nb');
  assert.equal(printable('a\nb'), 'a␊b');
});

test('property: nothing printable makes of any text is a control a terminal obeys', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (text, newlines) => {
      const shown = printable(text, { newlines }).replace(/\u001b\[(?:0|1|2|31|32|33)m/g, '');
      assert.ok(!OBEYED.test(shown), JSON.stringify(shown));
      if (!newlines) assert.ok(!shown.includes('\n'));
    }),
  );
});
