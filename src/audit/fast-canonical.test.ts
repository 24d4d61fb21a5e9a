/**
 * The fast route of canonical JSON (core `canonicalize`, the audit's canonicalJson) must be
 * byte-identical to the reference writer with every check (`canonicalizeWithChecks`) and refuse
 * exactly what it refuses (property tests over arbitrary values, plus the edge cases it hands
 * over: surrogates, non-finite numbers, deep values, cycles, odd objects).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalHash, canonicalize, canonicalizeWithChecks } from '../core/canonical.ts';
import { canonicalJson, canonicalJsonHash, canonicalKey } from './fast-canonical.ts';

function outcome(fn: () => string): { text: string } | { code: unknown } {
  try {
    return { text: fn() };
  } catch (error) {
    return { code: (error as { code?: unknown }).code };
  }
}

describe('canonicalJson', () => {
  it('equals core canonicalize on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const reference = canonicalizeWithChecks(value);
        assert.equal(canonicalJson(value), reference);
        assert.equal(canonicalize(value), reference);
        assert.equal(canonicalJsonHash(value), canonicalHash(value));
      }),
      { numRuns: 500 },
    );
  });

  it('equals core (text or refusal) on arbitrary values, including ones JSON cannot hold', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withSparseArray: true, withBigInt: true, withMap: true, withDate: true, withBoxedValues: true, withTypedArray: true, maxDepth: 4 }), (value) => {
        const reference = outcome(() => canonicalizeWithChecks(value));
        assert.deepEqual(outcome(() => canonicalJson(value)), reference);
        assert.deepEqual(outcome(() => canonicalize(value)), reference);
      }),
      { numRuns: 500 },
    );
  });

  it('hands surrogates, non-finite numbers, deep values and cycles to core', () => {
    for (const value of ['😀', { '😀': 1 }, '\ud800', 1e21, -0, Number.NaN, { a: undefined }]) {
      assert.deepEqual(
        outcome(() => canonicalJson(value)),
        outcome(() => canonicalizeWithChecks(value)),
      );
    }
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = { k: [deep] };
    assert.equal(canonicalJson(deep), canonicalizeWithChecks(deep));
    const cyclic: Record<string, unknown> = {};
    cyclic.again = { cyclic };
    assert.throws(() => canonicalJson(cyclic), { code: 'ERR_CANONICAL_UNSUPPORTED' });
    assert.equal(canonicalKey('a"b'), '"a\\"b"');
    assert.throws(() => canonicalKey('\udc00'), { code: 'ERR_CANONICAL_UNSUPPORTED' });
  });
});
