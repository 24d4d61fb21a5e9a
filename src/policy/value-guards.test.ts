/**
 * Value guards against Cedar itself: for generated conditions over context and principal
 * values (the modelled operations, mixed with ones that are not modelled, missing
 * attributes, type mismatches, overflow, decimals, unicode) and generated values, a guard
 * that answers true must be a condition Cedar finds satisfied without error, and one that
 * answers false a condition Cedar finds unsatisfied without error. `null` (Cedar must
 * judge) is always allowed; the test also checks that most modelled conditions are decided,
 * so a guard that never decides cannot pass it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAuthorized, policyToJson } from './cedar.ts';
import { userEntity } from './request.ts';
import { USER_TYPE } from './schema.ts';
import type { CedarValue } from './shapes.ts';
import { toCedarDecimal } from './shapes.ts';
import { fakePrincipal } from './testing.ts';
import { parseDecimal, valueTestOf } from './value-guards.ts';

const LONGS = ['0', '1', '-1', '2', '7', '9007199254740991', '-9007199254740991', '9223372036854775807', '4611686018427387904'];
const STRINGS = ['"a"', '""', '"acme"', '"é"', '"𝄞x"', '"a*b"', '"bot"'];
const DECIMALS = ['decimal("1.5")', 'decimal("-0.5")', 'decimal("10000.0000")', 'decimal("922337203685477.5807")'];
const PATTERNS = ['"*"', '"a*"', '"*b"', '"a\\*b"', '"*𝄞*"', '""', '"é"', '"a**b"', '"*c*m*"'];

const longExpr = fc.constantFrom('context.l', 'context.m', 'context.opt', 'context.r.n', 'context.s', ...LONGS);
const stringExpr = fc.constantFrom('context.s', 'context.t', 'principal.tenant', 'principal.agent', 'principal.id', 'context.l', ...STRINGS);
const setExpr = fc.constantFrom('context.tags', 'context.nums', 'principal.roles', '["a", "acme"]', '[1, 7]', '[]', '[context.s, "a"]', 'context.l');
const decimalExpr = fc.constantFrom('context.d', 'context.e', 'context.l', ...DECIMALS);

const condition: fc.Arbitrary<string> = fc.letrec<{ cond: string }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(longExpr, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), longExpr).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(longExpr, fc.constantFrom('+', '-', '*'), longExpr, fc.constantFrom('<', '==', '>='), longExpr).map(([a, op, b, cmp, c]) => `${a} ${op} ${b} ${cmp} ${c}`),
    fc.tuple(longExpr, fc.constantFrom('+', '-'), longExpr, fc.constantFrom('<', '==', '!=', '>'), longExpr, fc.constantFrom('+', '-'), longExpr).map((t) => t.join(' ')),
    fc.tuple(stringExpr, fc.constantFrom('==', '!='), stringExpr).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(stringExpr, fc.constantFrom(...PATTERNS)).map(([a, p]) => `${a} like ${p}`),
    fc.tuple(setExpr, fc.constantFrom(...STRINGS, ...LONGS, 'context.s', 'context.l')).map(([s, e]) => `${s}.contains(${e})`),
    fc.tuple(setExpr, fc.constantFrom('containsAll', 'containsAny'), setExpr).map(([a, op, b]) => `${a}.${op}(${b})`),
    fc.tuple(setExpr, fc.constantFrom('==', '!=')).map(([a, op]) => `${a} ${op} ["a"]`),
    setExpr.map((s) => `${s}.isEmpty()`),
    fc.tuple(decimalExpr, fc.constantFrom('lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'), decimalExpr).map(([a, op, b]) => `${a}.${op}(${b})`),
    fc.constantFrom('context has opt', 'context has t', 'context.r has n', 'context.s has n', 'principal has agent', 'context has r.n'),
    fc.constantFrom('context.b', 'context.flag', 'principal.delegated', 'context.l', 'context.r == context.r', 'true', 'false'),
    fc.constantFrom('resource.tenant_bound', 'action == Airlock::Action::"x"', 'if context.b then true else false', 'context.d == decimal("1.5")'),
    tie('cond').map((c) => `!(${c})`),
    fc.tuple(tie('cond'), fc.constantFrom('&&', '||'), tie('cond')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
  ),
})).cond;

const valuesArb = fc.record({
  l: fc.constantFrom(0, 1, -1, 7, 8, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  m: fc.constantFrom(0, 7, 2 ** 52),
  opt: fc.option(fc.constantFrom(0, 7), { nil: undefined }),
  rn: fc.option(fc.constantFrom(1, 7), { nil: undefined }),
  s: fc.constantFrom('a', '', 'acme', 'é', '𝄞x', 'a*b', 'axb', 'abc', 'bot'),
  t: fc.option(fc.constantFrom('a', 'acme', 'ccm'), { nil: undefined }),
  b: fc.boolean(),
  flag: fc.option(fc.boolean(), { nil: undefined }),
  d: fc.constantFrom(1.5, -0.5, 0, 10000, 1.49, 922337203685477),
  e: fc.option(fc.constantFrom(2, -3.25), { nil: undefined }),
  tags: fc.subarray(['a', 'acme', 'é']),
  nums: fc.subarray([1, 7, 8]),
  tenant: fc.constantFrom('acme', 'a', 'é'),
  roles: fc.subarray(['a', 'acme', 'ops']),
  agent: fc.option(fc.constantFrom('bot', 'a*b', '𝄞x'), { nil: undefined }),
  delegated: fc.boolean(),
});

type Values = typeof valuesArb extends fc.Arbitrary<infer V> ? V : never;

function contextOf(v: Values): Record<string, CedarValue> {
  const context: Record<string, CedarValue> = {
    l: v.l,
    m: v.m,
    s: v.s,
    b: v.b,
    d: toCedarDecimal(v.d),
    tags: v.tags,
    nums: v.nums,
    r: v.rn === undefined ? {} : { n: v.rn },
  };
  if (v.opt !== undefined) context.opt = v.opt;
  if (v.t !== undefined) context.t = v.t;
  if (v.flag !== undefined) context.flag = v.flag;
  if (v.e !== undefined) context.e = toCedarDecimal(v.e);
  return context;
}

test('a value guard decides only where Cedar agrees, and decides most modelled conditions', () => {
  let modelled = 0;
  let decided = 0;
  fc.assert(
    fc.property(condition, valuesArb, (cond, v) => {
      const text = `permit (principal, action, resource) when { ${cond} };`;
      const parsed = policyToJson(text);
      if (parsed.type !== 'success') return; // not a policy (e.g. a literal Cedar cannot parse)
      const body = parsed.json.conditions[0]?.body;
      const guard = body === undefined ? null : valueTestOf(body as never);
      if (guard === null) return;
      modelled++;
      const principal = fakePrincipal({ tenant: v.tenant, roles: v.roles, delegation: v.delegated ? ['x'] : [], ...(v.agent === undefined ? {} : { agent: v.agent }) });
      const context = contextOf(v);
      const ours = guard({ context, principal });
      if (ours === null) return;
      decided++;
      const user = userEntity(principal);
      const answer = isAuthorized({
        principal: user.uid,
        action: { type: 'Airlock::Action', id: 'x' },
        resource: { type: 'Airlock::Tool', id: 'x' },
        context,
        entities: [user],
        policies: { staticPolicies: { p: text } },
      });
      assert.equal(answer.type, 'success');
      if (answer.type !== 'success') return;
      const { reason, errors } = answer.response.diagnostics;
      assert.deepEqual(errors, [], `${cond}: guard said ${ours}, Cedar errored`);
      assert.equal(reason.includes('p'), ours, `${cond}: guard said ${ours}`);
    }),
    { numRuns: 4000 },
  );
  assert.ok(modelled > 2000, `modelled ${modelled}`);
  assert.ok(decided > modelled * 0.4, `decided ${decided} of ${modelled}`);
});

test('conditions outside the modelled subset, or reading nothing of the request, are not value guards', () => {
  const guardOf = (cond: string) => {
    const parsed = policyToJson(`permit (principal, action, resource) when { ${cond} };`);
    assert.equal(parsed.type, 'success');
    return parsed.type === 'success' ? valueTestOf(parsed.json.conditions[0]?.body as never) : null;
  };
  for (const cond of [
    'true',
    '1 < 2',
    'context.l * 2 > 1',
    'resource.tenant_bound',
    'principal == Airlock::User::"acme/alice"',
    'principal in Airlock::User::"acme/alice"',
    'context has a.b',
    'if context.b then true else false',
    'context.l < 9223372036854775807',
    'context.d.greaterThan(decimal("1.23456"))',
    'context.ip.isIpv4()',
  ]) {
    assert.equal(guardOf(cond), null, cond);
  }
  assert.notEqual(guardOf('context.l < 9007199254740991'), null);
  assert.notEqual(guardOf(`principal.roles.contains("a") || context has x`), null);
});

test('decimal literals parse as Cedar parses them, and are refused where Cedar refuses them', () => {
  assert.equal(parseDecimal('1.5'), 15000n);
  assert.equal(parseDecimal('-0.5'), -5000n);
  assert.equal(parseDecimal('922337203685477.5807'), 9223372036854775807n);
  assert.equal(parseDecimal('-922337203685477.5808'), -9223372036854775808n);
  for (const bad of ['922337203685477.5808', '1', '1.', '.5', '1.23456', '+1.0', ' 1.0', '1e3', '0x1.0']) {
    assert.equal(parseDecimal(bad), null, bad);
  }
  // Cedar agrees on the boundary cases.
  for (const [text, ok] of [['922337203685477.5807', true], ['922337203685477.5808', false], ['1.23456', false]] as const) {
    const answer = isAuthorized({
      principal: { type: USER_TYPE, id: 'a' },
      action: { type: 'Airlock::Action', id: 'x' },
      resource: { type: 'Airlock::Tool', id: 'x' },
      context: {},
      entities: [],
      policies: { staticPolicies: { p: `permit (principal, action, resource) when { decimal("${text}") == decimal("${text}") };` } },
    });
    const fine = answer.type === 'success' && answer.response.diagnostics.errors.length === 0 && answer.response.decision === 'allow';
    assert.equal(fine, ok, text);
  }
});

test('sums outside the safe integer range are left to Cedar (a double would round them)', () => {
  const parsed = policyToJson('permit (principal, action, resource) when { context.l + 2 > context.l + 1 };');
  assert.equal(parsed.type, 'success');
  if (parsed.type !== 'success') return;
  const guard = valueTestOf(parsed.json.conditions[0]?.body as never);
  assert.notEqual(guard, null);
  const principal = fakePrincipal();
  assert.equal(guard?.({ context: { l: 5 }, principal }), true);
  // 2^53 + 1 would round to 2^53 and make the comparison false; Cedar (i64) says true.
  assert.equal(guard?.({ context: { l: Number.MAX_SAFE_INTEGER }, principal }), null);
});
