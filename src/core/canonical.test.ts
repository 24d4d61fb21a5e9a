/**
 * Canonical JSON (RFC 8785): the RFC's number and string vectors, key ordering by UTF-16
 * code units, refusal of everything JSON cannot represent exactly, and (property) that the
 * canonical form and its hash do not depend on key insertion order.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalHash, canonicalize, sha256Hex, sortKeys } from './canonical.ts';

function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function assertRefused(value: unknown, pathPart?: string): void {
  assert.throws(
    () => canonicalize(value),
    (error: unknown) => {
      const e = error as { code?: string; details?: { path?: string } };
      assert.equal(e.code, 'ERR_CANONICAL_UNSUPPORTED');
      if (pathPart !== undefined) assert.equal(e.details?.path, pathPart);
      return true;
    },
  );
}

describe('canonicalize: RFC 8785 vectors', () => {
  it('serializes IEEE-754 numbers as in RFC 8785 appendix B', () => {
    const vectors: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, expected] of vectors) assert.equal(canonicalize(double(hex)), expected, `0x${hex}`);
  });

  it('refuses NaN and the infinities (appendix B)', () => {
    assertRefused(double('7fffffffffffffff'));
    assertRefused(double('7ff0000000000000'));
    assertRefused(Number.NEGATIVE_INFINITY);
    assertRefused({ a: [1, Number.NaN] }, '$.a[1]');
  });

  it('produces the RFC 8785 section 3.2.4 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    assert.equal(
      canonicalize(input),
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('escapes strings exactly as RFC 8785 requires', () => {
    assert.equal(canonicalize('\b\t\n\f\r'), '"\\b\\t\\n\\f\\r"');
    assert.equal(canonicalize('\u0000\u0001\u001f'), '"\\u0000\\u0001\\u001f"');
    assert.equal(canonicalize('"\\'), '"\\"\\\\"');
    // Everything else is literal: '/', DEL, non-ASCII, line/paragraph separators, astral characters.
    assert.equal(canonicalize('/\u007f\u00e9\u2028\u2029😀'), '"/\u007f\u00e9\u2028\u2029😀"');
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const values = Object.values(JSON.parse(canonicalize(input)) as Record<string, string>);
    assert.equal(
      canonicalize(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    assert.equal(values.length, 7);
  });

  it('writes literals and nesting without whitespace', () => {
    assert.equal(canonicalize({ b: [true, false, null, { d: 1, c: [] }], a: {} }), '{"a":{},"b":[true,false,null,{"c":[],"d":1}]}');
  });
});

describe('canonicalize: refusals', () => {
  it('refuses undefined at the top, in objects and in arrays', () => {
    assertRefused(undefined, '$');
    assertRefused({ a: undefined }, '$.a');
    assertRefused([1, undefined], '$[1]');
  });

  it('refuses cycles but accepts shared references', () => {
    const obj: Record<string, unknown> = {};
    obj.self = obj;
    assertRefused(obj);
    const arr: unknown[] = [];
    arr.push(arr);
    assertRefused(arr);
    const shared = { x: 1 };
    assert.equal(canonicalize({ a: shared, b: [shared] }), '{"a":{"x":1},"b":[{"x":1}]}');
  });

  it('refuses lone surrogates in values and keys, accepts pairs', () => {
    assertRefused('\ud800');
    assertRefused('a\udc00b');
    assertRefused({ '\ud83d': 1 });
    assertRefused(['ok', '\ude00\ud83d']);
    assert.equal(canonicalize('\ud83d\ude00'), '"😀"');
  });

  it('refuses functions, symbols, bigints, sparse arrays and non-plain objects', () => {
    assertRefused(() => 1);
    assertRefused(Symbol('s'));
    assertRefused(10n);
    assertRefused([1, , 3], '$[1]');
    assertRefused(new Date(0));
    assertRefused(new Map());
    assertRefused(new (class Thing {})());
    assert.equal(canonicalize(Object.assign(Object.create(null) as object, { a: 1 })), '{"a":1}');
  });
});

/** The same JSON value with every object's keys inserted in a shuffled order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorder(v, seed + i + 1));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const shuffled = entries
    .map((entry, i) => ({ entry, k: Math.sin(seed * 9301 + i * 49297) }))
    .sort((a, b) => a.k - b.k)
    .map(({ entry }) => entry);
  return Object.fromEntries(shuffled.map(([k, v], i) => [k, reorder(v, seed * 31 + i)]));
}

describe('canonicalize: properties', () => {
  it('the canonical form and hash do not depend on key order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer(), (value, seed) => {
        const reordered = reorder(value, seed);
        assert.equal(canonicalize(reordered), canonicalize(value));
        assert.equal(canonicalHash(reordered), canonicalHash(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is a fixed point: parsing the canonical form and canonicalizing again gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const text = canonicalize(value);
        assert.equal(canonicalize(JSON.parse(text)), text);
        assert.equal(canonicalHash(value), `sha256:${sha256Hex(text)}`);
      }),
      { numRuns: 300 },
    );
  });

  it('different values hash differently', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
        fc.pre(canonicalize(a) !== canonicalize(b));
        assert.notEqual(canonicalHash(a), canonicalHash(b));
      }),
      { numRuns: 200 },
    );
  });
});

describe('sortKeys', () => {
  it('orders keys as sort() does (UTF-16 code units), short lists and long ones, in place', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 48 }), (list) => {
        const keys = [...new Set(list)];
        const expected = [...keys].sort();
        const sorted = sortKeys(keys);
        assert.equal(sorted, keys, 'sorted in place');
        assert.deepEqual(sorted, expected);
      }),
      { numRuns: 500 },
    );
    // Code-unit order, not code-point or locale order: U+FF61 sorts after U+1F600's high surrogate (U+D83D).
    assert.deepEqual(sortKeys(['\uFF61', '\u{1F600}', 'b', 'B', 'é', 'e']), ['B', 'b', 'e', 'é', '\u{1F600}', '\uFF61']);
  });
});

describe('sha256Hex', () => {
  it('gives the FIPS 180-2 digests, strings hashed as UTF-8, and bytes as they are', () => {
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex(new Uint8Array([0x61, 0x62, 0x63])), sha256Hex('abc'));
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        assert.equal(sha256Hex(text), createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
      }),
      { numRuns: 200 },
    );
  });
});
