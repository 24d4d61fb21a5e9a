/** Edit distance is a metric, and the nearest name is the closest known one within its bound. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { editDistance, nearestName } from './nearest.ts';

test('edit distance: known values', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('crm.getCustomr', 'crm.getCustomer'), 1);
});

test('edit distance is a metric bounded by the longer length', () => {
  const word = fc.string({ maxLength: 12 });
  fc.assert(
    fc.property(word, word, word, (a, b, c) => {
      const ab = editDistance(a, b);
      assert.equal(ab, editDistance(b, a));
      assert.equal(ab === 0, a === b);
      assert.ok(ab >= Math.abs(a.length - b.length) && ab <= Math.max(a.length, b.length));
      assert.ok(editDistance(a, c) <= ab + editDistance(b, c));
    }),
  );
});

test('nearest name: the closest known name within a third of the length, else none', () => {
  assert.equal(nearestName('crm.getCustomr', ['none', 'read', 'crm.getCustomer', 'crm.exportCustomers']), 'crm.getCustomer');
  assert.equal(nearestName('CRM.GETCUSTOMER', ['crm.getCustomer']), 'crm.getCustomer');
  assert.equal(nearestName('inventory.adjust', ['crm.getCustomer', 'email.send']), undefined);
  assert.equal(nearestName('x', []), undefined);
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 6 }), fc.string({ maxLength: 10 }), (known, name) => {
      const nearest = nearestName(name, known);
      if (nearest === undefined) return;
      const d = editDistance(name.toLowerCase(), nearest.toLowerCase());
      assert.ok(d <= Math.max(1, Math.floor(name.length / 3)));
      for (const other of known) assert.ok(editDistance(name.toLowerCase(), other.toLowerCase()) >= d);
    }),
  );
});
