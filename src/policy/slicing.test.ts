/**
 * Slicing, filtering by principal guards, specialization (widened action scopes, folded
 * guards, flat context), projection and the all-permit evaluation are invisible: for
 * random small bundles and requests, the engine's answer (satisfied policies combined by
 * Cedar's rule, and the errored policies with their messages) equals Cedar's answer over
 * the whole, unsliced bundle with the full context and entities. Guard atoms (roles,
 * tenants, users, delegation, agents) and value guards (some of which can error) vary in
 * the leading position where they filter, in either order, and also appear where they must
 * not (after another conjunct, after an `unless`); principals'
 * roles, tenants, users and agents vary, including strings JavaScript and Cedar may not
 * compare alike; the request-slice cache is sometimes tiny, so slices are evicted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAirlockError } from '../core/errors.ts';
import { isAuthorized } from './cedar.ts';
import { CedarPolicyEngine } from './engine.ts';
import { cedarDecision } from './decide.ts';
import { buildContext, bindTool, userEntity } from './request.ts';
import { sessionAttributesShape } from './schema.ts';
import { fakeRequest, fakeTool } from './testing.ts';
import type { CompiledPolicy } from './types.ts';

const PARAMS = {
  type: 'object',
  properties: { amount: { type: 'number' }, to: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['amount'],
};
const TOOLS = [fakeTool('crm.read', 'read', PARAMS), fakeTool('crm.write', 'write', PARAMS), fakeTool('crm.drop', 'irreversible', PARAMS)];
const SESSION = { purpose: 'String', ticket: 'Long' } as const;

const A = (id: string): string => `Airlock::Action::"${id}"`;
const ACTION_SCOPES = [
  'action',
  `action == ${A('crm.read')}`,
  `action == ${A('crm.drop')}`,
  `action in ${A('read')}`,
  `action in ${A('write')}`,
  `action in [${A('crm.write')}, ${A('irreversible')}]`,
  `action in [${A('crm.read')}]`,
];
const PRINCIPAL_SCOPES = [
  'principal',
  'principal == Airlock::User::"acme/alice"',
  'principal == Airlock::User::"acme/bob"',
  'principal in Airlock::User::"globex/alice"',
  'principal is Airlock::User',
  'principal is Airlock::User in Airlock::User::"acme/bob"',
  'principal == Airlock::Tool::"acme/alice"',
  'principal is Airlock::Tool',
];
/** Conditions that filter by principal when they lead a `when` clause. */
const GUARDS = [
  'principal.roles.contains("admin")',
  'principal.roles.contains("support")',
  'principal.roles.containsAny(["ops", "support"])',
  'principal.tenant == "acme"',
  '"globex" == principal.tenant',
  '["globex", "initech"].contains(principal.tenant)',
  'principal.delegated',
  'principal has agent',
  'principal has agent && principal.agent == "bot"',
  'principal has agent && "other" == principal.agent',
];
/**
 * Value guards: filter (or fold) by the request's values when they lead; some can error
 * (a missing attribute, a type mismatch), so what follows them must be left to Cedar.
 */
const VALUE_GUARDS = [
  'context.tool_call.affected_count > 1',
  'context.tool_call.affected_count - 2 >= 0',
  'context.environment.hour_utc < 6 || context.environment.hour_utc >= 20',
  'context.session.records_read_last_10m + context.tool_call.affected_count > 3',
  'context.tool_call.parameters has to && context.tool_call.parameters.to like "*@acme.example"',
  // `amount` is required by the schema, but a library caller may leave it out: Cedar errors.
  'context.tool_call.parameters.amount.greaterThan(decimal("10.5"))',
  'context.tool_call.parameters.amount.lessThanOrEqual(decimal("99.0")) || context.tool_call.affected_count == 0',
  'context has intent && context.intent like "*export*"',
  'context has intent && context.intent != "look up"',
  'context.session.attributes has ticket && context.session.attributes.ticket == 1',
  '!(context.taint.any)',
  'context.taint.arguments.containsAny(["to", "x"])',
  'context.tool_call.resource has tenant && ["acme", "initech"].contains(context.tool_call.resource.tenant)',
  'principal has agent && principal.agent like "b*"',
  'principal.roles.contains("admin") || principal.tenant == "globex"',
];
const CONDITIONS = [
  'true',
  'principal.roles.contains("admin")',
  'principal.tenant == "acme"',
  'principal has agent && principal.agent == "bot"',
  'principal.delegated',
  'principal has agent',
  'context has intent',
  'context.tool_call.parameters has tags',
  'context.tool_call.affected_count > 1',
  'context.tool_call.affected_count * 4611686018427387904 > 0',
  'context.tool_call.parameters.amount.greaterThan(decimal("10.5"))',
  'context.tool_call.parameters has to && context.tool_call.parameters.to like "*@acme.example"',
  'context.tool_call.parameters has tags && context.tool_call.parameters.tags.contains("vip")',
  'context.session.attributes has purpose && context.session.attributes.purpose == "audit"',
  'context.session.attributes has ticket && context.session.attributes.ticket + 9223372036854775807 > 0',
  'context has intent && context.intent like "*export*"',
  'context.tool_call.resource has tenant && context.tool_call.resource.tenant != principal.tenant',
  'context.tool_call.resource == context.tool_call.resource',
  '{r: context.tool_call.resource}.r.exists',
  '(if context.tool_call.affected_count > 2 then context.session else context.session).call_count == 0',
  'context.environment.hour_utc < 12',
  'if principal.delegated then context.session.records_read_last_10m > 2 else false',
  'principal in Airlock::User::"acme/alice"',
  'context.tool_call.tool == "crm.write"',
  'principal.roles.containsAll(["admin", "ops"])',
  'principal.id == "alice" || principal.roles.contains("ops")',
  'principal has agent && principal.agent like "b*"',
  'resource.name == "crm.read" && resource.tenant_bound',
  'action in Airlock::Action::"write"',
  'context has tool_call.parameters.to && context.tool_call.parameters.to like "*@acme.example"',
  'context.tool_call has parameters && context.session has attributes.ticket',
  'context.tool_call.resource has id || context.session has id',
  'context has tool_call.parameters.tags && context.tool_call.parameters.tags.containsAny(["eu", "x"])',
  'context.environment.now > 0 && context.environment.weekday_utc == 1',
  'context.session.tool_call_count + context.session.call_count == 0',
  'context.taint.arguments.contains("to")',
  'context.taint.any && context.session.untrusted_seen',
  'context.taint.sources.containsAny(["web", "act_1"])',
  'context.taint == context.taint',
  'context.scope.targets_declared && context.scope.outside.contains("to")',
  'context.scope.outside.containsAny(["to", "amount"]) || !context.scope.targets_declared',
  'context.session.lowest_trust == "external" || context.session.max_classification == "restricted"',
  'context.session has manifest_hash && context.session.manifest_hash like "sha256:*"',
  ...GUARDS,
  ...VALUE_GUARDS,
];

const policyArb = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  principal: fc.constantFrom(...PRINCIPAL_SCOPES),
  action: fc.constantFrom(...ACTION_SCOPES),
  guards: fc.array(fc.constantFrom(...GUARDS, ...VALUE_GUARDS), { maxLength: 3 }),
  first: fc.constantFrom(...CONDITIONS),
  second: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined }),
  join: fc.constantFrom('&&', '||'),
  // Where the guards go: leading the `when` clause (they filter), or where they must not.
  shape: fc.constantFrom('when', 'when', 'guards-then-unless', 'unless-then-guards', 'guards-late', 'two-whens'),
});

const requestArb = fc.record({
  tool: fc.integer({ min: 0, max: TOOLS.length - 1 }),
  user: fc.constantFrom('alice', 'bob', 'alice', 'bo\uDC00b'),
  tenant: fc.constantFrom('acme', 'globex', 'initech', 'acme', 'globex'),
  roles: fc.subarray(['admin', 'support', 'ops', 'analyst', 'ad\uD800min']),
  agent: fc.option(fc.constantFrom('bot', 'other', 'b\uD800ot'), { nil: undefined, freq: 2 }),
  delegatedOnly: fc.boolean(),
  affected: fc.integer({ min: 0, max: 3 }),
  amount: fc.constantFrom(0, 10.5, 10.51, 99, null),
  to: fc.option(fc.constantFrom('x@acme.example', 'y@evil.example'), { nil: undefined }),
  tags: fc.option(fc.subarray(['vip', 'eu']), { nil: undefined }),
  purpose: fc.option(fc.constantFrom('audit', 'sales'), { nil: undefined }),
  ticket: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
  intent: fc.option(fc.constantFrom('export all', 'look up'), { nil: undefined }),
  resourceTenant: fc.option(fc.constantFrom('acme', 'globex'), { nil: undefined }),
  hour: fc.integer({ min: 0, max: 23 }),
  readLast10m: fc.integer({ min: 0, max: 4 }),
  taint: fc.option(fc.record({ arguments: fc.subarray(['to', 'amount', 'to.address']), sources: fc.subarray(['web', 'act_1', 'cnt_x']) }), { nil: undefined }),
  scope: fc.option(fc.record({ outside: fc.subarray(['to', 'amount', 'to.address']) }), { nil: undefined }),
  labels: fc.option(
    fc.record({
      untrustedSeen: fc.boolean(),
      lowestTrust: fc.constantFrom('system', 'user', 'external'),
      maxClassification: fc.constantFrom('public', 'restricted'),
      manifestHash: fc.option(fc.constantFrom('sha256:ab', 'other'), { nil: undefined }),
    }),
    { nil: undefined },
  ),
});

/**
 * One principal fact, one value a value guard reads, or the tool changed: requests that
 * differ only there must not share a request slice.
 */
const variantArb = fc.oneof(
  fc.record({ affected: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ hour: fc.constantFrom(3, 12, 21) }),
  fc.record({ amount: fc.constantFrom(0, 10.5, 10.51, 99, null) }),
  fc.record({ to: fc.option(fc.constantFrom('x@acme.example', 'y@evil.example'), { nil: undefined }) }),
  fc.record({ intent: fc.option(fc.constantFrom('export all', 'look up'), { nil: undefined }) }),
  fc.record({ ticket: fc.option(fc.constantFrom(0, 1), { nil: undefined }) }),
  fc.record({ resourceTenant: fc.option(fc.constantFrom('acme', 'globex'), { nil: undefined }) }),
  fc.record({ roles: fc.subarray(['admin', 'support', 'ops', 'analyst']) }),
  fc.record({ tenant: fc.constantFrom('acme', 'globex', 'initech') }),
  fc.record({ user: fc.constantFrom('alice', 'bob') }),
  fc.record({ agent: fc.option(fc.constantFrom('bot', 'other'), { nil: undefined, freq: 2 }) }),
  fc.record({ delegatedOnly: fc.boolean() }),
  fc.record({ tool: fc.integer({ min: 0, max: TOOLS.length - 1 }) }),
);

/** A request, variants of it that change one principal fact, and a few unrelated ones. */
const requestsArb = fc
  .tuple(requestArb, fc.array(variantArb, { maxLength: 6 }), fc.array(requestArb, { maxLength: 2 }))
  .map(([base, variants, others]) => [base, ...variants.map((v) => ({ ...base, ...v })), ...others]);

interface GenPolicy {
  effect: string;
  principal: string;
  action: string;
  guards: string[];
  first: string;
  second: string | undefined;
  join: string;
  shape: string;
}

function policyText(p: GenPolicy, i: number): string {
  const core = p.second === undefined ? `(${p.first})` : `(${p.first}) ${p.join} (${p.second})`;
  const guards = p.guards.map((g) => `(${g})`).join(' && ');
  const when = (body: string): string => (body === '' ? '' : `when { ${body} }`);
  const clauses = {
    when: when(guards === '' ? core : `${guards} && ${core}`),
    'guards-then-unless': `${when(guards)} unless { ${core} }`,
    'unless-then-guards': `unless { ${core} } ${when(guards)}`,
    'guards-late': when(guards === '' ? core : `${core} && ${guards}`),
    'two-whens': `${when(guards)} ${when(core)}`,
  }[p.shape];
  return `@id("p${i}")\n${p.effect} (${p.principal}, ${p.action}, resource) ${clauses};`;
}

type GenRequest = (typeof requestsArb extends fc.Arbitrary<Array<infer R>> ? R : never);

/** Asks the engine and Cedar (whole bundle, full context and entities) every request, twice. */
function agreesWithCedar(policies: GenPolicy[], requests: GenRequest[], sliceCacheSize: number): void {
  const texts = policies.map((p, i) => policyText(p, i));
  const files: Record<string, string> = {};
  texts.forEach((t, i) => (files[`f${i % 3}.cedar`] = `${files[`f${i % 3}.cedar`] ?? ''}${t}\n`));
  const engine = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: SESSION, bundle: { files }, sliceCacheSize });
  try {
    const byId = new Map<string, CompiledPolicy>();
    for (const p of engine.policies()) byId.set(p.id, { id: p.id, effect: p.effect } as CompiledPolicy);
    const whole: Record<string, string> = {};
    texts.forEach((t, i) => (whole[`p${i}`] = t));
    // Every request twice: the second one is answered from the request-slice cache.
    for (const r of [...requests, ...requests]) {
      const tool = TOOLS[r.tool]!;
      // A chain without an agent, and (against the contract, to pin `delegated`) an agent without a chain.
      const delegation = r.delegatedOnly ? [r.agent ?? 'upstream'] : [];
      const request = fakeRequest(tool, {
        principal: { user: r.user, tenant: r.tenant, roles: r.roles, delegation, ...(r.agent === undefined ? {} : { agent: r.agent }) },
        affectedCount: r.affected,
        arguments: {
          ...(r.amount === null ? {} : { amount: r.amount }),
          ...(r.to === undefined ? {} : { to: r.to }),
          ...(r.tags === undefined ? {} : { tags: r.tags }),
        },
        sessionAttributes: {
          ...(r.purpose === undefined ? {} : { purpose: r.purpose }),
          ...(r.ticket === undefined ? {} : { ticket: r.ticket }),
        },
        ...(r.intent === undefined ? {} : { intent: r.intent }),
        resource: r.resourceTenant === undefined ? {} : { tenant: r.resourceTenant },
        now: Date.UTC(2026, 0, 5, r.hour, 0),
      });
      request.session.recordsReadLast10m = r.readLast10m;
      if (r.taint !== undefined) request.taint = r.taint;
      if (r.scope !== undefined) request.scope = r.scope;
      if (r.labels !== undefined) {
        const { manifestHash, ...labels } = r.labels;
        request.session.labels = manifestHash === undefined ? labels : { ...labels, manifestHash };
      }

      // cedar-wasm cannot take strings that are not well-formed unicode (it fails, and may
      // be left broken): the engine refuses such a principal before asking Cedar.
      const { principal } = request;
      if (![principal.user, principal.tenant, ...principal.roles, principal.agent ?? ''].every((t) => t.isWellFormed())) {
        assert.throws(() => engine.inspect(request), (e: unknown) => isAirlockError(e) && e.code === 'ERR_POLICY_UNREPRESENTABLE');
        continue;
      }
      const binding = bindTool(tool);
      const user = userEntity(principal);
      const reference = isAuthorized({
        principal: user.uid,
        action: binding.action,
        resource: binding.resource,
        context: buildContext(binding, sessionAttributesShape(SESSION), request),
        entities: [user, binding.toolEntity, binding.actionEntity],
        policies: { staticPolicies: whole },
      });
      assert.equal(reference.type, 'success');
      if (reference.type !== 'success') return;

      const answer = engine.inspect(request);
      const ours = cedarDecision(answer.satisfied.map((id) => byId.get(id)!));
      assert.equal(ours.decision, reference.response.decision, `decision for ${tool.name}`);
      assert.deepEqual([...ours.reason].sort(), [...reference.response.diagnostics.reason].sort());
      assert.deepEqual(
        answer.errors.map((e) => `${e.policyId}: ${e.message}`).sort(),
        reference.response.diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).sort(),
      );
    }
  } finally {
    engine.dispose();
  }
}

test('sliced, projected evaluation equals Cedar over the whole bundle', () => {
  fc.assert(
    fc.property(fc.array(policyArb, { maxLength: 8 }), requestsArb, fc.constantFrom(1, 2, 64), agreesWithCedar),
    { numRuns: 300 },
  );
});

/** Policies that all filter by principal, with a simple rest. */
const guardedPolicyArb = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  principal: fc.constantFrom('principal', 'principal', 'principal == Airlock::User::"acme/alice"', 'principal in Airlock::User::"globex/bob"'),
  action: fc.constantFrom(...ACTION_SCOPES),
  guards: fc.array(fc.constantFrom(...GUARDS, ...GUARDS, ...VALUE_GUARDS), { minLength: 1, maxLength: 3 }),
  first: fc.constantFrom('true', 'context.tool_call.affected_count > 1', 'context.tool_call.affected_count * 4611686018427387904 > 0'),
  second: fc.constant(undefined),
  join: fc.constant('&&'),
  shape: fc.constantFrom('when', 'when', 'when', 'guards-late', 'guards-then-unless'),
});

/** One request and many variants of it, each with one principal fact changed. */
const variantsArb = fc
  .tuple(requestArb, fc.array(variantArb, { minLength: 2, maxLength: 10 }))
  .map(([base, variants]) => [base, ...variants.map((v) => ({ ...base, ...v }))]);

test('request slices are told apart by every principal fact their guards name', () => {
  fc.assert(
    fc.property(fc.array(guardedPolicyArb, { minLength: 1, maxLength: 6 }), variantsArb, fc.constantFrom(1, 64), agreesWithCedar),
    { numRuns: 200 },
  );
});

test('every principal fact a guard names keeps request slices apart (all principals of a small universe)', () => {
  const guards = [
    'principal.roles.contains("admin")',
    'principal.roles.containsAny(["ops", "support"])',
    'principal.tenant == "acme"',
    '["globex", "initech"].contains(principal.tenant)',
    'principal.delegated',
    'principal has agent',
    'principal has agent && principal.agent == "bot"',
  ];
  const policies: GenPolicy[] = [
    ...guards.map((g) => ({ effect: 'permit', principal: 'principal', action: 'action', guards: [g], first: 'true', second: undefined, join: '&&', shape: 'when' })),
    { effect: 'forbid', principal: 'principal == Airlock::User::"acme/alice"', action: 'action', guards: [], first: 'true', second: undefined, join: '&&', shape: 'when' },
  ];
  const base = fc.sample(requestArb, { numRuns: 1, seed: 7 })[0]!;
  const requests: GenRequest[] = [];
  for (const roles of [[], ['admin'], ['ops'], ['admin', 'support']]) {
    for (const tenant of ['acme', 'globex'] as const) {
      for (const user of ['alice', 'bob'] as const) {
        for (const agent of [undefined, 'bot', 'other'] as const) {
          for (const delegatedOnly of [false, true]) requests.push({ ...base, tool: 0, roles, tenant, user, agent, delegatedOnly });
        }
      }
    }
  }
  agreesWithCedar(policies, requests, 256);
});
