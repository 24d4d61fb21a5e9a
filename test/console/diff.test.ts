/** The console's definition diff (console/src/diff.ts): both sides are rebuilt from it, and it is minimal. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffLines } from '../../console/src/diff.ts';

const lines = fc.array(fc.constantFrom('{', '}', '"a": 1', '"b": 2', '"description": "x"', '"description": "y"'), { maxLength: 30 });

/** Length of a longest common subsequence, the slow way (memoized recursion). */
function lcsLength(a: string[], b: string[]): number {
  const memo = new Map<string, number>();
  const go = (i: number, j: number): number => {
    if (i === a.length || j === b.length) return 0;
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const value = a[i] === b[j] ? 1 + go(i + 1, j + 1) : Math.max(go(i + 1, j), go(i, j + 1));
    memo.set(key, value);
    return value;
  };
  return go(0, 0);
}

test('the diff rebuilds both sides and keeps a longest common subsequence unchanged', () => {
  fc.assert(
    fc.property(lines, lines, (before, after) => {
      const diff = diffLines(before, after);
      assert.deepEqual(diff.filter((l) => l.kind !== 'added').map((l) => l.text), before);
      assert.deepEqual(diff.filter((l) => l.kind !== 'removed').map((l) => l.text), after);
      assert.equal(diff.filter((l) => l.kind === 'same').length, lcsLength(before, after));
    }),
  );
});

test('a changed description is one line out and one line in', () => {
  const diff = diffLines(['{', '"description": "Echoes."', '}'], ['{', '"description": "Echoes a message."', '}']);
  assert.deepEqual(diff.map((l) => l.kind), ['same', 'removed', 'added', 'same']);
});
