import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { definitionHash, pinnedDefinition } from './definition.ts';

const tool = {
  name: 'read_file',
  title: 'Read file',
  description: 'Read a file.',
  inputSchema: { type: 'object', properties: { path: { type: 'string' }, tail: { type: 'number' } }, required: ['path'] },
  annotations: { readOnlyHint: true },
  _meta: { 'vendor/x': 1 },
  execution: { taskSupport: 'optional' },
};

function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reorder(v)]));
}

test('the pinned definition keeps name, title, description, schemas and annotations only', () => {
  const pinned = pinnedDefinition(tool);
  assert.deepEqual(Object.keys(pinned).sort(), ['annotations', 'description', 'inputSchema', 'name', 'title']);
  assert.equal(definitionHash(pinned), definitionHash(pinnedDefinition({ ...tool, _meta: { other: true } })));
});

test('key order does not change the hash; any change of a pinned part does', () => {
  const base = definitionHash(pinnedDefinition(tool));
  assert.equal(definitionHash(pinnedDefinition(reorder(tool))), base);
  fc.assert(
    fc.property(
      fc.constantFrom('title', 'description'),
      fc.string({ minLength: 1, maxLength: 20 }),
      (field, extra) => {
        const changed = { ...tool, [field]: `${tool[field as 'title' | 'description']}${extra}` };
        assert.notEqual(definitionHash(pinnedDefinition(changed)), base);
      },
    ),
  );
  const schemaChange = { ...tool, inputSchema: { ...tool.inputSchema, required: ['path', 'tail'] } };
  assert.notEqual(definitionHash(pinnedDefinition(schemaChange)), base);
  const annotationChange = { ...tool, annotations: { readOnlyHint: false } };
  assert.notEqual(definitionHash(pinnedDefinition(annotationChange)), base);
  const outputSchema = { ...tool, outputSchema: { type: 'object' } };
  assert.notEqual(definitionHash(pinnedDefinition(outputSchema)), base);
});

test('unusable definitions are refused', () => {
  for (const bad of [
    null,
    { name: '' },
    { name: 'x', inputSchema: { type: 'string' } },
    { name: 'x', inputSchema: { type: 'object' }, description: 5 },
    { name: 'x', inputSchema: { type: 'object', default: Number.NaN } },
    { name: 'x', inputSchema: { type: 'object' }, annotations: [] },
    { name: 'x', inputSchema: { type: 'object' }, description: 'y'.repeat(300_000) },
  ]) {
    assert.throws(() => pinnedDefinition(bad), { code: 'ERR_MCP_DEFINITION_INVALID' });
  }
});
