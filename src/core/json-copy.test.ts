/** jsonCopy gives what a JSON round trip gives (value or error), on arbitrary values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonCopy } from './json-copy.ts';

function roundTrip(value: unknown): { value: unknown } | { error: string } {
  try {
    const text = JSON.stringify(value);
    return { value: text === undefined ? undefined : JSON.parse(text) };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

function copied(value: unknown): { value: unknown } | { error: string } {
  try {
    return { value: jsonCopy(value) };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

describe('jsonCopy', () => {
  it('equals a JSON round trip on arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withSparseArray: true, withDate: true, withBoxedValues: true, withMap: true, withObjectString: true, maxDepth: 5 }),
        (value) => {
          assert.deepStrictEqual(copied(value), roundTrip(value));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('drops what JSON drops, turns -0 into 0, and copies (no shared objects)', () => {
    const nested = { b: [1, undefined, () => 1, Symbol('s'), -0], c: undefined, d: { e: NaN, f: new Date(0) } };
    const input = { a: nested, toString: undefined };
    const out = jsonCopy(input) as { a: { b: unknown[]; d: unknown } };
    assert.deepStrictEqual(out, JSON.parse(JSON.stringify(input)));
    assert.equal(Object.is(out.a.b[4], 0), true);
    assert.notEqual(out.a, nested);
  });

  it('a __proto__ key stays an own member, never a prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    const out = jsonCopy(input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepStrictEqual(Object.keys(out), ['__proto__', 'x']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('cycles and bigints fail as JSON fails; deep values are copied', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => jsonCopy(cycle), TypeError);
    assert.throws(() => jsonCopy({ n: 1n }), TypeError);
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    assert.deepStrictEqual(jsonCopy(deep), deep);
  });
});
