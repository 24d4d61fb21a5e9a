/** The console's hash router (console/src/route.ts): every hash parses, and ids survive the trip through a link. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseRoute } from '../../console/src/route.ts';

test('a malformed percent-encoding in a lineage link is taken as written instead of breaking the page', () => {
  for (const raw of ['%', '%zz', 'act_%E0%A4%A', '%ED%A0%80']) assert.deepEqual(parseRoute(`#/lineage/${raw}`), { page: 'lineage', id: raw });
});

test('property: any hash gives a route, and an encoded lineage id decodes to itself', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (hash) => {
      assert.ok(['approvals', 'lineage', 'operations', 'trends'].includes(parseRoute(hash).page));
    }),
  );
  fc.assert(
    fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (id) => {
      assert.deepEqual(parseRoute(`#/lineage/${encodeURIComponent(id)}`), { page: 'lineage', id });
    }),
  );
});
