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

  it('equals core (text or refusal) on values whose keys and strings hold any UTF-16 unit, lone surrogates included, keys repeated', () => {
    // Any code unit: pairs stay on the fast route (isWellFormed), lone ones are refused with
    // the reference's path. Keys come from a small set so that most are quoted from the key cache.
    const key = fc.oneof(fc.constantFrom('a', 'b', 'decision', '😀', 'x\ud800', '\udc00y', ''), fc.string({ unit: 'binary', maxLength: 6 }));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.string({ unit: 'binary' }), fc.integer(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(key, tie('node'), { maxKeys: 5 })),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        const reference = outcome(() => canonicalizeWithChecks(v));
        assert.deepEqual(outcome(() => canonicalJson(v)), reference);
        assert.deepEqual(outcome(() => canonicalize(v)), reference);
      }),
      { numRuns: 1000 },
    );
  });

  it('the key cache gives the reference text past its bound, and never lets a lone surrogate through', () => {
    for (let round = 0; round < 3; round++) {
      const value: Record<string, number> = {};
      for (let i = 0; i < 5000; i++) value[`key-${round}-${i}-\u00e9"\\`] = i;
      value['😀'.repeat(40)] = 1; // longer than the cached keys
      assert.equal(canonicalJson(value), canonicalizeWithChecks(value));
    }
    assert.equal(canonicalJson({ '😀': 1 }), '{"😀":1}');
    assert.throws(() => canonicalJson({ '\ud83d': 1 }), { code: 'ERR_CANONICAL_UNSUPPORTED' });
    assert.throws(() => canonicalJson({ '\ude00': 1 }), { code: 'ERR_CANONICAL_UNSUPPORTED' });
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
