/** Property tests over random inputs: validate never throws; hashes ignore key order. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { JsonValue } from '../core/canonical.ts';
import { hashArguments } from './normalize.ts';
import { ToolRegistry } from './registry.ts';
import { toolDef } from './test-support.ts';

const registry = new ToolRegistry([
  toolDef({
    name: 'strict',
    inputSchema: {
      type: 'object',
      properties: {
        to: { type: 'string', format: 'email' },
        host: { type: 'string', format: 'hostname' },
        n: { type: 'integer' },
        items: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
      },
    },
  }),
  toolDef({ name: 'open', inputSchema: { type: 'object', additionalProperties: true } }),
]);
const strict = registry.get('strict')!;
const open = registry.get('open')!;

function shuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function permuted(value: JsonValue, seed: number): JsonValue {
  if (Array.isArray(value)) return value.map((v, i) => permuted(v, seed + i + 1));
  if (typeof value !== 'object' || value === null) return value;
  const entries = shuffle(Object.entries(value), seed);
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: permuted(v, seed * 31 + k.length), enumerable: true, writable: true, configurable: true });
  return out;
}

const jsonObject = fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 });

describe('properties', () => {
  it('validate never throws, for random JSON objects and for arbitrary values', () => {
    fc.assert(
      fc.property(jsonObject, (args) => {
        const a = registry.validate(strict, args);
        const b = registry.validate(open, args);
        return typeof a.ok === 'boolean' && typeof b.ok === 'boolean';
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withBigInt: true }), (value) => {
        registry.validate(strict, value);
        registry.validate(open, value);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepted values are plain JSON, and validating them again gives the same value', () => {
    fc.assert(
      fc.property(jsonObject, (args) => {
        const result = registry.validate(open, args);
        if (!result.ok) return true;
        const again = registry.validate(open, result.value);
        assert.deepEqual(again, result);
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('hashArguments is equal for key-permuted copies', () => {
    fc.assert(
      fc.property(jsonObject, fc.integer(), (args, seed) => {
        const copy = permuted(args as JsonValue, seed);
        let first: string | Error;
        let second: string | Error;
        try {
          first = hashArguments(open, args);
        } catch (error) {
          first = error as Error;
        }
        try {
          second = hashArguments(open, copy);
        } catch (error) {
          second = error as Error;
        }
        if (typeof first === 'string') assert.equal(second, first);
        else assert.equal(typeof second, 'object', 'one copy hashed and the other did not');
      }),
      { numRuns: 1000 },
    );
  });
});
