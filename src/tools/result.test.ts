/** Result checking against the declared output schema. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ToolRegistry } from './registry.ts';
import { validateResult } from './result.ts';
import { toolDef } from './test-support.ts';

describe('validateResult', () => {
  const registry = new ToolRegistry([
    toolDef({
      name: 'typed',
      outputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    }),
    toolDef({ name: 'untyped' }),
  ]);

  it('passes a matching result (extra fields allowed: output schemas are not closed)', () => {
    assert.deepEqual(validateResult(registry.get('typed')!, { id: 'c1', more: 1 }), { id: 'c1', more: 1 });
  });

  it('refuses a result that does not match with ERR_TOOLS_RESULT_SCHEMA', () => {
    assert.throws(() => validateResult(registry.get('typed')!, { id: 5 }), { code: 'ERR_TOOLS_RESULT_SCHEMA', status: 502 });
    assert.throws(() => validateResult(registry.get('typed')!, null), { code: 'ERR_TOOLS_RESULT_SCHEMA' });
  });

  it('accepts any JSON without a schema, but never non-JSON', () => {
    assert.equal(validateResult(registry.get('untyped')!, 'text'), 'text');
    assert.throws(() => validateResult(registry.get('untyped')!, { at: new Date(0) }), { code: 'ERR_TOOLS_RESULT_SCHEMA' });
  });

  it('compiles lazily for a definition that did not come from a registry', () => {
    const loose = { name: 'x', outputSchema: { type: 'array' } };
    assert.deepEqual(validateResult(loose, [1]), [1]);
    assert.throws(() => validateResult(loose, {}), { code: 'ERR_TOOLS_RESULT_SCHEMA' });
  });
});
