import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isWellFormedId, newId, newTimeOrderedId } from './ids.ts';

test('ids are prefixed, 128-bit, url-safe and never repeat across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const id = newId('req');
    assert.match(id, /^req_[A-Za-z0-9_-]{22}$/);
    assert.ok(isWellFormedId(id, 'req'));
    assert.ok(!seen.has(id));
    seen.add(id);
  }
  // Every random part differs (no reuse of pool bytes between consecutive ids).
  const parts = [...seen].map((id) => id.slice(4));
  assert.equal(new Set(parts).size, parts.length);
});

test('isWellFormedId refuses other shapes and other prefixes', () => {
  assert.equal(isWellFormedId(newId('ses'), 'req'), false);
  for (const bad of ['', 'req_', 'req_short', 'REQ_AAAAAAAAAAAA', 'req_AAAA AAAA', 7, null, 'req_' + 'A'.repeat(65)]) {
    assert.equal(isWellFormedId(bad), false, String(bad));
  }
});

test('time-ordered ids sort by time, stay unguessable, and are well formed', () => {
  const a = newTimeOrderedId('req', 1_700_000_000_000);
  const b = newTimeOrderedId('req', 1_700_000_000_001);
  const c = newTimeOrderedId('req', 1_700_000_000_001);
  assert.match(a, /^req_[0-9A-HJKMNP-TV-Z]{10}[A-Za-z0-9_-]{22}$/);
  assert.ok(a < b && a < c);
  assert.notEqual(b, c, 'same millisecond, different random part');
  assert.equal(b.slice(0, 14), c.slice(0, 14));
  assert.ok(isWellFormedId(a, 'req'));
  assert.ok(newTimeOrderedId('act', 2_000_000_000_000) > newTimeOrderedId('act', 1_999_999_999_999));
  // The time part of the last millisecond is reused; going back and forth gives each its own.
  const times = [1_700_000_000_000, 1_700_000_000_000, 1_600_000_000_000, 1_700_000_000_000, 0, 32, 31];
  const parts = times.map((ms) => newTimeOrderedId('evt', ms).slice(4, 14));
  assert.deepEqual(parts, ['01HF7YAT00', '01HF7YAT00', '01EJ3PX000', '01HF7YAT00', '0000000000', '0000000010', '000000000Z']);
});
