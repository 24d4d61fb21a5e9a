import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adaptInputSchema } from './schema.ts';

test('draft-07 schemas become checkable 2020-12 schemas; the original is untouched', () => {
  const original = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false },
      mode: { type: 'string', enum: ['a', 'b'], enumNames: ['A', 'B'], 'x-order': 1 },
      'x-kept-as-a-property': { type: 'string' },
    },
    definitions: { n: { type: 'number' } },
  };
  const copy = structuredClone(original);
  const adapted = adaptInputSchema(original);
  assert.deepEqual(original, copy);
  assert.deepEqual(adapted, {
    type: 'object',
    properties: {
      pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false },
      mode: { type: 'string', enum: ['a', 'b'] },
      'x-kept-as-a-property': { type: 'string' },
    },
    definitions: { n: { type: 'number' } },
  });
});
