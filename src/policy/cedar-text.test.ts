/**
 * Cedar text helpers: statement splitting around strings and comments, byte-offset line
 * numbers, and locating / rewriting a policy's effect keyword.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectOffset, lineOfByteOffset, splitPolicies, withPermitEffect } from './cedar-text.ts';

test('splitPolicies cuts at semicolons outside strings and comments', () => {
  const text = '// x; y\n@id("a;b") permit(principal, action, resource) when { "\\";" == "x" };\n\n  forbid(principal, action, resource);  // tail;\n';
  const chunks = splitPolicies(text);
  assert.deepEqual(chunks.map((c) => c.text), [
    '@id("a;b") permit(principal, action, resource) when { "\\";" == "x" };',
    'forbid(principal, action, resource);',
  ]);
  assert.deepEqual(chunks.map((c) => lineOfByteOffset(text, c.byteOffset)), [2, 4]);
});

test('byte offsets account for multi-byte characters', () => {
  const text = '@reason("ééé") permit(principal, action, resource);\nforbid(principal, action, resource);';
  const [, second] = splitPolicies(text);
  assert.equal(second?.byteOffset, Buffer.byteLength(text.slice(0, text.indexOf('forbid'))));
  assert.equal(lineOfByteOffset(text, second?.byteOffset ?? 0), 2);
});

test('trailing text without a semicolon becomes its own chunk', () => {
  assert.deepEqual(splitPolicies('permit(principal, action, resource);\npermit(').map((c) => c.text), [
    'permit(principal, action, resource);',
    'permit(',
  ]);
});

test('the effect keyword is found after any annotations and rewritten in place', () => {
  const text = '@id("forbid") // forbid\n @approval\n@reason ( "permit \\" forbid" )\nforbid (principal, action, resource);';
  assert.equal(text.slice(effectOffset(text), effectOffset(text) + 6), 'forbid');
  assert.equal(withPermitEffect(text), text.replace(/\nforbid \(/, '\npermit ('));
  assert.equal(withPermitEffect('permit(principal, action, resource);'), 'permit(principal, action, resource);');
  assert.equal(withPermitEffect('forbidden(principal, action, resource);'), null);
  assert.equal(withPermitEffect('@id(x) forbid(principal, action, resource);'), null);
});
