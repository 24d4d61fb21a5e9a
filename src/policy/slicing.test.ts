/**
 * Slicing, projection and the all-permit evaluation are invisible: for random small bundles
 * and requests, the engine's answer (satisfied policies combined by Cedar's rule, and the
 * errored policies) equals Cedar's answer over the whole, unsliced bundle with the full
 * context and entities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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
const PRINCIPAL_SCOPES = ['principal', 'principal == Airlock::User::"acme/alice"', 'principal == Airlock::User::"acme/bob"', 'principal is Airlock::User'];
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
];

const policyArb = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  principal: fc.constantFrom(...PRINCIPAL_SCOPES),
  action: fc.constantFrom(...ACTION_SCOPES),
  first: fc.constantFrom(...CONDITIONS),
  second: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined }),
  join: fc.constantFrom('&&', '||'),
  unless: fc.boolean(),
});

const requestArb = fc.record({
  tool: fc.integer({ min: 0, max: TOOLS.length - 1 }),
  user: fc.constantFrom('alice', 'bob'),
  tenant: fc.constantFrom('acme', 'globex'),
  roles: fc.subarray(['admin', 'support']),
  agent: fc.option(fc.constantFrom('bot', 'other'), { nil: undefined }),
  affected: fc.integer({ min: 0, max: 3 }),
  amount: fc.constantFrom(0, 10.5, 10.51, 99),
  to: fc.option(fc.constantFrom('x@acme.example', 'y@evil.example'), { nil: undefined }),
  tags: fc.option(fc.subarray(['vip', 'eu']), { nil: undefined }),
  purpose: fc.option(fc.constantFrom('audit', 'sales'), { nil: undefined }),
  ticket: fc.option(fc.constantFrom(0, 1), { nil: undefined }),
  intent: fc.option(fc.constantFrom('export all', 'look up'), { nil: undefined }),
  resourceTenant: fc.option(fc.constantFrom('acme', 'globex'), { nil: undefined }),
  hour: fc.integer({ min: 0, max: 23 }),
  readLast10m: fc.integer({ min: 0, max: 4 }),
});

interface GenPolicy {
  effect: string;
  principal: string;
  action: string;
  first: string;
  second: string | undefined;
  join: string;
  unless: boolean;
}

function policyText(p: GenPolicy, i: number): string {
  const condition = p.second === undefined ? p.first : `(${p.first}) ${p.join} (${p.second})`;
  const clause = p.unless ? `unless { ${condition} }` : `when { ${condition} }`;
  return `@id("p${i}")\n${p.effect} (${p.principal}, ${p.action}, resource) ${clause};`;
}

test('sliced, projected evaluation equals Cedar over the whole bundle', () => {
  fc.assert(
    fc.property(fc.array(policyArb, { minLength: 0, maxLength: 8 }), fc.array(requestArb, { minLength: 1, maxLength: 6 }), (policies, requests) => {
      const texts = policies.map((p, i) => policyText(p, i));
      const files: Record<string, string> = {};
      texts.forEach((t, i) => (files[`f${i % 3}.cedar`] = `${files[`f${i % 3}.cedar`] ?? ''}${t}\n`));
      const engine = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: SESSION, bundle: { files } });
      try {
        const byId = new Map<string, CompiledPolicy>();
        const whole: Record<string, string> = {};
        texts.forEach((t, i) => (whole[`p${i}`] = t));
        for (const r of requests) {
          const tool = TOOLS[r.tool]!;
          const request = fakeRequest(tool, {
            principal: { user: r.user, tenant: r.tenant, roles: r.roles, ...(r.agent === undefined ? {} : { agent: r.agent, delegation: [r.agent] }) },
            affectedCount: r.affected,
            arguments: {
              amount: r.amount,
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

          const binding = bindTool(tool);
          const user = userEntity(request.principal);
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
          if (byId.size === 0) for (const p of engine.policies()) byId.set(p.id, { id: p.id, effect: p.effect } as CompiledPolicy);
          const ours = cedarDecision(answer.satisfied.map((id) => byId.get(id)!));
          assert.equal(ours.decision, reference.response.decision, `decision for ${tool.name}`);
          assert.deepEqual([...ours.reason].sort(), [...reference.response.diagnostics.reason].sort());
          assert.deepEqual(
            [...new Set(answer.errors.map((e) => e.policyId))].sort(),
            [...new Set(reference.response.diagnostics.errors.map((e) => e.policyId))].sort(),
          );
        }
      } finally {
        engine.dispose();
      }
    }),
    { numRuns: 150 },
  );
});
