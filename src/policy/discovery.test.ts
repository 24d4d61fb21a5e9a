/**
 * Discovery is sound: when the engine says no call of a tool by a principal could be
 * allowed or held, every concrete call (random arguments, intent, session, counts, hour)
 * is denied. And it hides what it should: tools with no permit for the principal, tools an
 * unconditional forbid covers, tools of a class a forbid covers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAirlockError } from '../core/errors.ts';
import { CedarPolicyEngine } from './engine.ts';
import { fakePrincipal, fakeRequest, fakeTool } from './testing.ts';

const PARAMS = {
  type: 'object',
  properties: { amount: { type: 'number' }, path: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
  required: ['amount'],
};
const TOOLS = [fakeTool('fs.read', 'read', PARAMS), fakeTool('fs.write', 'write', PARAMS), fakeTool('fs.drop', 'irreversible', PARAMS)];
const SESSION = { purpose: 'String' } as const;
const A = (id: string) => `Airlock::Action::"${id}"`;

const SCOPES = ['action', `action == ${A('fs.read')}`, `action in ${A('write')}`, `action in [${A('fs.drop')}, ${A('read')}]`];
const CONDITIONS = [
  'true',
  'false',
  'principal.roles.contains("admin")',
  'principal.tenant == "acme"',
  'principal has agent',
  'principal.agent == "bot"',
  'context has intent',
  '!(context has intent)',
  'context has intent && context.intent like "*export*"',
  'context.tool_call.class == "write"',
  'context.tool_call.tool == "fs.read"',
  'context.tool_call.parameters has path && context.tool_call.parameters.path like "/srv/*"',
  'context.tool_call.parameters.amount.greaterThan(decimal("10.5"))',
  'context.tool_call.affected_count > 1',
  'context.session.attributes has purpose && context.session.attributes.purpose == "audit"',
  'context.environment.hour_utc < 12',
  'resource.side_effect == "read"',
  'action in Airlock::Action::"irreversible"',
];

const policyArb = fc.record({
  effect: fc.constantFrom('permit', 'forbid'),
  approval: fc.boolean(),
  scope: fc.constantFrom(...SCOPES),
  first: fc.constantFrom(...CONDITIONS),
  second: fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined }),
  join: fc.constantFrom('&&', '||'),
  unless: fc.boolean(),
});

const callArb = fc.record({
  amount: fc.constantFrom(0, 10.5, 99),
  path: fc.option(fc.constantFrom('/srv/a', '/etc/passwd'), { nil: undefined }),
  intent: fc.option(fc.constantFrom('export all', 'look up'), { nil: undefined }),
  purpose: fc.option(fc.constantFrom('audit', 'sales'), { nil: undefined }),
  affected: fc.integer({ min: 0, max: 3 }),
  hour: fc.integer({ min: 0, max: 23 }),
});

const principalArb = fc.record({
  tenant: fc.constantFrom('acme', 'globex'),
  roles: fc.subarray(['admin', 'support']),
  agent: fc.option(fc.constant('bot'), { nil: undefined }),
});

test('a tool discovery hides can never be called', () => {
  fc.assert(
    fc.property(fc.array(policyArb, { minLength: 1, maxLength: 6 }), fc.array(principalArb, { minLength: 1, maxLength: 3 }), fc.array(callArb, { minLength: 1, maxLength: 12 }), (policies, principals, calls) => {
      const text = policies
        .map((p, i) => {
          const body = p.second === undefined ? `(${p.first})` : `(${p.first}) ${p.join} (${p.second})`;
          const annotation = p.approval ? '@approval("lead")\n' : '';
          return `@id("p${i}")\n${annotation}${p.effect} (principal, ${p.scope}, resource) ${p.unless ? 'unless' : 'when'} { ${body} };`;
        })
        .join('\n');
      let engine: CedarPolicyEngine;
      try {
        engine = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: SESSION, bundle: { files: { 'p.cedar': text } }, answerCacheSize: 0 });
      } catch (error) {
        // Strict validation refuses some generated bundles (e.g. `principal.agent` without `has`).
        if (isAirlockError(error) && error.code === 'ERR_POLICY_INVALID') return;
        throw error;
      }
      for (const p of principals) {
        const principal = fakePrincipal({ tenant: p.tenant, roles: p.roles, ...(p.agent === undefined ? {} : { agent: p.agent, delegation: [p.agent] }) });
        for (const tool of TOOLS) {
          if (engine.mayAllow(principal, tool.name)) continue;
          for (const c of calls) {
            const request = fakeRequest(tool, {
              principal,
              arguments: { amount: c.amount, ...(c.path === undefined ? {} : { path: c.path }) },
              affectedCount: c.affected,
              ...(c.intent === undefined ? {} : { intent: c.intent }),
              sessionAttributes: c.purpose === undefined ? {} : { purpose: c.purpose },
              now: Date.UTC(2026, 0, 5, c.hour, 30),
            });
            const outcome = engine.authorize(request).outcome;
            assert.equal(outcome, 'deny', `hidden ${tool.name} was ${outcome} for ${JSON.stringify(p)} ${JSON.stringify(c)}\n${text}`);
          }
        }
      }
      engine.dispose();
    }),
    { numRuns: 150 },
  );
});

test('discovery hides tools without a permit for the principal, and tools a forbid always covers', () => {
  const engine = CedarPolicyEngine.create({
    tools: TOOLS,
    sessionAttributes: SESSION,
    bundle: {
      files: {
        'p.cedar': `
@id("readers") permit (principal, action in ${A('read')}, resource) when { principal.roles.contains("support") && context.tool_call.parameters has path && context.tool_call.parameters.path like "/srv/*" };
@id("admins") permit (principal, action, resource) when { principal.roles.contains("admin") };
@id("no-writes-for-globex") forbid (principal, action, resource) when { principal.tenant == "globex" && context.tool_call.class == "write" };
@id("drop-needs-lead") @approval("lead") forbid (principal, action == ${A('fs.drop')}, resource);
@id("no-agents") forbid (principal, action, resource) when { principal has agent };
`,
      },
    },
  });
  const visible = (o: Parameters<typeof fakePrincipal>[0]) => TOOLS.map((t) => t.name).filter((n) => engine.mayAllow(fakePrincipal(o), n));
  assert.deepEqual(visible({ roles: ['support'] }), ['fs.read']);
  assert.deepEqual(visible({ roles: ['admin'] }), ['fs.read', 'fs.write', 'fs.drop']);
  assert.deepEqual(visible({ roles: ['admin'], tenant: 'globex' }), ['fs.read', 'fs.drop']);
  assert.deepEqual(visible({ roles: ['admin'], agent: 'bot', delegation: ['bot'] }), []);
  assert.deepEqual(visible({ roles: [] }), []);
  assert.equal(engine.mayAllow(fakePrincipal(), 'no.such.tool'), false);
});
