import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Patterns, insideOthers } from './patterns.ts';

/** What `counts` must equal: every (overlapping) occurrence, found one pattern at a time. */
function naiveCount(pattern: string, texts: readonly string[]): number {
  if (pattern === '') return 0;
  let n = 0;
  for (const text of texts) for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) n++;
  return n;
}

/** What `cut` must equal: the characters covered by any occurrence of any pattern, each maximal covered run replaced once. */
function naiveCut(text: string, patterns: readonly string[], replacement: string): string {
  const covered = new Array<boolean>(text.length).fill(false);
  for (const pattern of patterns) {
    if (pattern === '') continue;
    for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) covered.fill(true, at, at + pattern.length);
  }
  let out = '';
  for (let i = 0; i < text.length; i++) if (!covered[i]) out += text[i];
    else if (i === 0 || !covered[i - 1]) out += replacement;
  return out;
}

// A small alphabet makes overlaps, prefixes and suffixes of one another common.
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n', '\u00e9', '\ud83d\ude00'), maxLength: 8 });

test('counts: every occurrence of every pattern, as one search per pattern finds them', () => {
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), fc.array(word, { maxLength: 4 }), (patterns, texts) => {
      assert.deepEqual(
        new Patterns(patterns).counts(texts),
        patterns.map((p) => naiveCount(p, texts)),
      );
    }),
    { numRuns: 500 },
  );
});

test('cut: every covered character removed, each covered run replaced once', () => {
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), fc.array(word, { maxLength: 6 }), (patterns, parts) => {
      const text = parts.join('');
      assert.equal(new Patterns(patterns).cut(text, '|'), naiveCut(text, patterns, '|'));
    }),
    { numRuns: 500 },
  );
});

test('insideOthers: the patterns some other string contains (entities are never empty)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(word.filter((w) => w !== ''), { maxLength: 10 }), (texts) => {
      const expected = texts.filter((x) => texts.some((other) => other !== x && other.includes(x)));
      assert.deepEqual([...insideOthers(texts, texts)].sort(), expected.sort());
    }),
    { numRuns: 500 },
  );
  assert.deepEqual([...insideOthers(['mail.example'], ['dora@mail.example', 'mail.example'])], ['mail.example']);
  assert.deepEqual([...insideOthers(['dora@mail.example'], ['dora@mail.example', 'mail.example'])], []);
});
