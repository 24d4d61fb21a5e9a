/**
 * Principal guards and request-slice specialization on hand-written policies: which
 * conjuncts count as a guard (leading ones only), and what a specialized slice sends.
 * Their equivalence with Cedar is the job of slicing.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyToJson } from './cedar.ts';
import type { PolicyJson } from './cedar.ts';
import { guardOf } from './guards.ts';
import type { GuardAtom } from './guards.ts';
import { specializeSlice } from './specialize.ts';
import type { CompiledPolicy } from './types.ts';

function json(text: string): PolicyJson {
  const answer = policyToJson(text);
  assert.equal(answer.type, 'success');
  if (answer.type !== 'success') throw new Error('unreachable');
  return answer.json;
}

/** The guard's atoms, a value guard shown as `{kind: 'value'}`. */
const atoms = (text: string): Array<GuardAtom | { kind: 'value' }> =>
  guardOf(json(text)).atoms.map((a) => (a.kind === 'value' ? { kind: 'value' } : a));

test('a guard is the principal scope and the leading principal conjuncts of the when clauses', () => {
  assert.deepEqual(atoms('permit (principal, action, resource);'), []);
  assert.deepEqual(atoms('permit (principal == Airlock::User::"acme/alice", action, resource);'), [{ kind: 'user', id: 'acme/alice' }]);
  assert.deepEqual(atoms('permit (principal in Airlock::User::"acme/bob", action, resource);'), [{ kind: 'user', id: 'acme/bob' }]);
  assert.deepEqual(atoms('permit (principal is Airlock::Tool, action, resource);'), [{ kind: 'never' }]);
  assert.deepEqual(atoms('permit (principal, action, resource) when { principal.roles.contains("a") && principal.tenant == "t" && context.x > 1 && principal.roles.contains("b") };'), [
    { kind: 'role', anyOf: ['a'] },
    { kind: 'tenant', anyOf: ['t'] },
    { kind: 'value' },
    { kind: 'role', anyOf: ['b'] },
  ]);
  assert.deepEqual(atoms('permit (principal, action, resource) when { context has intent && context.intent like "*x*" && principal.roles.contains("a") || principal.roles.contains("b") };'), [
    { kind: 'value' },
  ]);
  assert.deepEqual(atoms('permit (principal, action, resource) when { ["t", "u"].contains(principal.tenant) } when { principal.roles.containsAny(["a", "b"]) };'), [
    { kind: 'tenant', anyOf: ['t', 'u'] },
    { kind: 'role', anyOf: ['a', 'b'] },
  ]);
  assert.deepEqual(atoms('permit (principal, action, resource) when { principal.delegated && principal has agent && principal.agent == "bot" };'), [
    { kind: 'delegated' },
    { kind: 'has_agent' },
    { kind: 'agent', anyOf: ['bot'] },
  ]);
});

test('conjuncts after one Airlock does not model, or after an unless, are not part of the guard', () => {
  assert.deepEqual(atoms('permit (principal, action, resource) when { context.x * 2 > 1 && principal.roles.contains("a") };'), []);
  assert.deepEqual(atoms('permit (principal, action, resource) when { resource.tenant_bound && principal.roles.contains("a") };'), []);
  assert.deepEqual(atoms('permit (principal, action, resource) when { context has x.y && principal.roles.contains("a") };'), []);
  assert.deepEqual(atoms('permit (principal, action, resource) when { true && principal.roles.contains("a") };'), []);
  assert.deepEqual(atoms('permit (principal, action, resource) unless { context.x > 1 } when { principal.roles.contains("a") };'), []);
  // Value guards (they may error: evaluated in order, see outcomeOf).
  assert.deepEqual(atoms('permit (principal, action, resource) when { principal.roles.contains("a") || principal.roles.contains("b") };'), [{ kind: 'value' }]);
  assert.deepEqual(atoms('permit (principal, action, resource) when { principal.roles.contains(context.role) };'), [{ kind: 'value' }]);
  // `principal.agent` is a principal atom only once `principal has agent` held; before, it
  // is a value guard (with no agent, Cedar errors: the request leaves it to Cedar).
  assert.deepEqual(atoms('permit (principal, action, resource) when { principal.agent == "bot" && principal has agent };'), [
    { kind: 'value' },
    { kind: 'has_agent' },
  ]);
});

function compiled(id: string, text: string, index: number): CompiledPolicy {
  const j = json(text);
  return { id, index, file: 'f.cedar', line: 1, effect: j.effect, text, byteOffset: 0, permitText: text, json: j, scope: { kind: 'all' }, check: 'action_class' };
}

test('a specialized slice widens scopes, drops guards and reads a flat context', () => {
  const slice = specializeSlice([
    // The role is certain; the value guards after it were left to Cedar (fold 1 and 0).
    { policy: compiled('a', 'forbid (principal, action in Airlock::Action::"read", resource) when { principal.roles.contains("x") && context.tool_call.parameters has limit && context.tool_call.parameters.limit > 5 };', 0), fold: 1 },
    { policy: compiled('b', 'permit (principal == Airlock::User::"acme/alice", action, resource) when { context.tool_call.resource has tenant && context.tool_call.resource.tenant != principal.tenant };', 1), fold: 0 },
  ]);
  assert.equal(slice.specialized, true);
  assert.equal(slice.action, false, 'no condition mentions the action');
  assert.equal(slice.principalFlat, true);
  assert.deepEqual(slice.flat?.map((a) => a.key).sort(), ['principal.tenant', 'tool_call.parameters.limit', 'tool_call.resource.tenant']);
  const a = slice.policies.a as PolicyJson;
  assert.equal(a.effect, 'permit');
  assert.deepEqual(a.action, { op: 'All' });
  assert.deepEqual(a.conditions[0]?.body, {
    '&&': {
      left: { has: { left: { Var: 'context' }, attr: 'tool_call.parameters.limit' } },
      right: { '>': { left: { '.': { left: { Var: 'context' }, attr: 'tool_call.parameters.limit' } }, right: { Value: 5 } } },
    },
  });
  assert.deepEqual((slice.policies.b as PolicyJson).principal, { op: 'All' });
});

test('a slice keeps its original text when a Long literal would not survive the JSON form', () => {
  const slice = specializeSlice([{ policy: compiled('a', 'permit (principal, action, resource) when { context.tool_call.affected_count < 9007199254740993 };', 0), fold: 0 }]);
  assert.equal(slice.specialized, false);
  assert.equal(typeof slice.policies.a, 'string');
  assert.equal(slice.flat, null);
});

test('a context record used as a value keeps the context nested', () => {
  const slice = specializeSlice([{ policy: compiled('a', 'permit (principal, action, resource) when { context.tool_call.resource == context.tool_call.resource };', 0), fold: 0 }]);
  assert.equal(slice.specialized, true);
  assert.equal(slice.flat, null);
  assert.equal(slice.principalFlat, false);
});
