import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateTargets } from '../../sessions/index.ts';
import { outsideScope, targetScopeSummary } from './authorize.ts';

const targets = validateTargets([
  { kind: 'email', value: 'ada@lovelace.example' },
  { kind: 'domain', value: 'acme.example' },
  { kind: 'email', value: 'ops@acme.example' },
]);

test('a session without targets has no summary and nothing outside', () => {
  assert.equal(targetScopeSummary(undefined, { to: 'x@y.example' }), null);
  assert.equal(outsideScope(undefined, { to: 'x@y.example' }), null);
});

test('the summary counts the declared targets, names each kind once, sorted, and lists the leaf paths outside', () => {
  const summary = targetScopeSummary(targets, { to: ['ada@lovelace.example', 'mallory@evil.example'], meta: { cc: 'bob@acme.example', bcc: 'eve@evil.example' }, n: 3, ok: true });
  assert.deepEqual(summary, { declared: 3, kinds: ['domain', 'email'], outside: ['meta.bcc', 'n', 'to'] });
  // Cedar sees the same paths with their ancestors.
  assert.deepEqual(outsideScope(targets, { to: ['ada@lovelace.example', 'mallory@evil.example'], meta: { cc: 'bob@acme.example', bcc: 'eve@evil.example' }, n: 3, ok: true }), ['meta', 'meta.bcc', 'n', 'to']);
});

test('property: what Cedar sees is the summary\'s paths with their ancestors; arguments whose values are all inside have nothing outside', () => {
  const address = fc.constantFrom('ada@lovelace.example', 'ADA@Lovelace.Example', 'x@acme.example', 'x@evil.example', 'acme.example', 'plain');
  const args = fc.dictionary(fc.constantFrom('to', 'cc', 'body'), fc.oneof(address, fc.array(address, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b'), address)));
  fc.assert(
    fc.property(args, (a) => {
      const summary = targetScopeSummary(targets, a);
      assert.ok(summary !== null);
      const seen = outsideScope(targets, a) ?? [];
      for (const path of summary.outside) assert.ok(seen.includes(path));
      for (const path of seen) assert.ok(summary.outside.some((p) => p === path || p.startsWith(`${path}.`)), path);
      const text = JSON.stringify(a);
      if (!text.includes('evil') && !text.includes('plain')) assert.deepEqual(summary.outside, []);
      else assert.ok(summary.outside.length > 0);
    }),
  );
});
