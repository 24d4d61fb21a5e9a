/**
 * The policy library (examples/policy-library): every rule renders to Cedar that validates
 * against the gateway's schema and decides as documented (a value inside injected
 * instructions is denied, one from content the user did not point to is held, a clean or
 * pointed one passes), and the AgentDojo packs checked in are what the library renders
 * from their bindings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonSchema } from '../../src/core/types.ts';
import { CedarPolicyEngine } from '../../src/policy/engine.ts';
import { fakeRequest, fakeTool } from '../../src/policy/testing.ts';
import type { ToolBinding } from '../../examples/policy-library/library.ts';
import { LIBRARY, renderLibrary } from '../../examples/policy-library/library.ts';
import { SUITE_NAMES } from '../../bench/agentdojo/dataset.ts';
import { EXAMPLES_DIR, libraryPack, loadDeployment } from '../../bench/agentdojo/deployment.ts';

/** One made-up tool per (family, role), with one string argument per slot its rules test. */
function bindings(): ToolBinding[] {
  const out = new Map<string, ToolBinding>();
  for (const rule of LIBRARY) {
    for (const role of rule.roles) {
      const tool = `${rule.family}_${role}`;
      const binding = out.get(tool) ?? { tool, family: rule.family, role, args: {} };
      if (rule.slot !== undefined) binding.args[rule.slot] = [`${rule.slot}_arg`];
      out.set(tool, binding);
    }
  }
  return [...out.values()];
}

const BASE = '@id("base")\npermit (principal, action, resource);\n';

test('every library rule renders, validates against the schema and decides as documented', async () => {
  const bound = bindings();
  const text = renderLibrary(bound, { approver: 'reviewer' });
  const tools = bound.map((b) => {
    const properties: Record<string, JsonSchema> = {};
    for (const args of Object.values(b.args)) for (const a of args ?? []) properties[a] = { type: 'string' };
    return fakeTool(b.tool, 'write', { type: 'object', properties });
  });
  const engine = CedarPolicyEngine.create({ tools, sessionAttributes: {}, bundle: { files: { 'base.cedar': BASE, 'library.cedar': text } } });
  for (const rule of LIBRARY) {
    const binding = bound.find((b) => b.family === rule.family && rule.roles.includes(b.role)) as ToolBinding;
    const tool = tools.find((t) => t.name === binding.tool)!;
    const id = `${rule.id}[${binding.tool}]`;
    assert.ok(text.includes(`@id("${id}")`), id);
    const arg = rule.slot === undefined ? undefined : `${rule.slot}_arg`;
    const request = fakeRequest(tool, { arguments: arg === undefined ? {} : { [arg]: 'x' } });
    if (rule.test === 'session') {
      request.session.labels = { untrustedSeen: true, lowestTrust: 'external', maxClassification: 'public' };
    } else {
      // `instructed` without `injected`: a value found only in a request inside content the user never pointed to.
      const grades =
        rule.test === 'instructed'
          ? { injected: [], instructed: [arg!], directive: [arg!], unnamed: [arg!] }
          : rule.test === 'unnamed'
            ? { injected: [], instructed: [], directive: [], unnamed: [arg!] }
            : { injected: [], instructed: [], directive: [], unnamed: [] };
      request.taint = { arguments: [arg!], sources: ['cnt_1'], ...grades };
    }
    const answer = await engine.authorize(request);
    assert.equal(answer.outcome, rule.effect === 'deny' ? 'deny' : 'approval_required', id);
    assert.ok(answer.reasons.some((r) => r.policy_id === id), id);
    // The same call with nothing against it passes.
    const clean = await engine.authorize(fakeRequest(tool, { arguments: arg === undefined ? {} : { [arg]: 'x' } }));
    assert.equal(clean.outcome, 'allow', `${id} clean`);
  }
  // A value from content the user pointed to is tainted but neither instructed nor unnamed: no library rule but `any` ones fire.
  for (const rule of LIBRARY.filter((r) => r.test === 'instructed' || r.test === 'unnamed')) {
    const binding = bound.find((b) => b.family === rule.family && rule.roles.includes(b.role)) as ToolBinding;
    const tool = tools.find((t) => t.name === binding.tool)!;
    const arg = `${rule.slot}_arg`;
    const request = fakeRequest(tool, { arguments: { [arg]: 'x' } });
    request.taint = { arguments: [arg], sources: ['cnt_1'], injected: [], instructed: [], directive: [], unnamed: [] };
    const answer = await engine.authorize(request);
    assert.ok(!answer.reasons.some((r) => r.policy_id === `${rule.id}[${binding.tool}]` && r.effect === 'forbid'), `${rule.id} passes pointed values`);
  }
});

test('excluded rules are left out', () => {
  const text = renderLibrary([{ tool: 'mail', family: 'email', role: 'send', args: { recipient: ['to'], content: ['body'] } }], { approver: 'r', exclude: ['email.content-relayed'] });
  assert.ok(text.includes('email.recipient-injected[mail]'));
  assert.ok(!text.includes('email.content-relayed'));
});

test('the AgentDojo packs checked in are what the library renders from their bindings', () => {
  for (const suite of SUITE_NAMES) {
    const expected = libraryPack(loadDeployment(suite));
    assert.ok(expected !== null, suite);
    assert.equal(readFileSync(join(EXAMPLES_DIR, suite, 'policies', 'library.cedar'), 'utf8'), expected, `${suite}: run npm run build:agentdojo-packs`);
  }
});

test('task scope: a session that declares its tools is denied the others; an undeclared scope changes nothing', async () => {
  const bound: ToolBinding[] = [
    { tool: 'mail', family: 'email', role: 'send', args: { recipient: ['to'] } },
    { tool: 'pay', family: 'payments', role: 'pay', args: { payee: ['iban'] } },
  ];
  const tools = [fakeTool('mail', 'external_send', { type: 'object', properties: { to: { type: 'string' } } }), fakeTool('pay', 'irreversible', { type: 'object', properties: { iban: { type: 'string' } } })];
  const engine = CedarPolicyEngine.create({
    tools,
    sessionAttributes: { task_tools: 'String' },
    bundle: { files: { 'base.cedar': BASE, 'library.cedar': renderLibrary(bound, { approver: 'r', scope: true }) } },
  });
  const [mail, pay] = tools as [(typeof tools)[0], (typeof tools)[0]];
  const scoped = { sessionAttributes: { task_tools: '|mail|' } };
  assert.equal((await engine.authorize(fakeRequest(mail, { arguments: { to: 'a@b.example' }, ...scoped }))).outcome, 'allow');
  const outside = await engine.authorize(fakeRequest(pay, { arguments: { iban: 'x' }, ...scoped }));
  assert.equal(outside.outcome, 'deny');
  assert.ok(outside.reasons.some((r) => r.policy_id === 'scope.outside-task[pay]'));
  assert.equal((await engine.authorize(fakeRequest(pay, { arguments: { iban: 'x' } }))).outcome, 'allow');
  // A tool whose name contains a declared one is not in scope by accident.
  assert.equal((await engine.authorize(fakeRequest(pay, { arguments: { iban: 'x' }, sessionAttributes: { task_tools: '|paying|' } }))).outcome, 'deny');
});

test('target scope: a target outside the declared scope is held, refused when it came from a request in content; fetches, undeclared scopes and in-scope targets are untouched', async () => {
  const bound: ToolBinding[] = [
    { tool: 'pay', family: 'payments', role: 'pay', args: { payee: ['iban'], memo: ['subject'] } },
    { tool: 'browse', family: 'web', role: 'fetch', args: { url: ['url'] } },
  ];
  const tools = [
    fakeTool('pay', 'irreversible', { type: 'object', properties: { iban: { type: 'string' }, subject: { type: 'string' } } }),
    fakeTool('browse', 'read', { type: 'object', properties: { url: { type: 'string' } } }),
  ];
  const text = renderLibrary(bound, { approver: 'r', scope: true });
  assert.ok(text.includes('@id("scope.target-outside[pay]")') && text.includes('@id("scope.target-requested[pay]")'));
  assert.ok(!text.includes('scope.target-outside[browse]'), 'fetches are exempt');
  assert.ok(!renderLibrary(bound, { approver: 'r' }).includes('scope.target-'), 'rendered only with scope');
  const engine = CedarPolicyEngine.create({ tools, sessionAttributes: {}, bundle: { files: { 'base.cedar': BASE, 'library.cedar': text } } });
  const [pay, browse] = tools as [(typeof tools)[0], (typeof tools)[0]];
  const args = { iban: 'DE89370400440532013000', subject: 'rent' };
  // Declared, inside: passes; no declaration: passes.
  assert.equal((await engine.authorize(fakeRequest(pay, { arguments: args, scope: { outside: ['subject'] } }))).outcome, 'allow');
  assert.equal((await engine.authorize(fakeRequest(pay, { arguments: args }))).outcome, 'allow');
  // Outside, stated as data in content the user pointed to (the rule-aware attacker): held.
  const pointed = fakeRequest(pay, { arguments: args, scope: { outside: ['iban'] } });
  pointed.taint = { arguments: ['iban'], sources: ['cnt_1'], injected: [], instructed: [], directive: [], unnamed: [] };
  const held = await engine.authorize(pointed);
  assert.equal(held.outcome, 'approval_required');
  assert.ok(held.reasons.some((r) => r.policy_id === 'scope.target-outside[pay]'));
  // Outside and taken from a request in content (graded directive): refused with its rule id.
  const requested = fakeRequest(pay, { arguments: args, scope: { outside: ['iban'] } });
  requested.taint = { arguments: ['iban'], sources: ['cnt_1'], injected: [], instructed: [], directive: ['iban'], unnamed: ['iban'] };
  const denied = await engine.authorize(requested);
  assert.equal(denied.outcome, 'deny');
  assert.ok(denied.reasons.some((r) => r.policy_id === 'scope.target-requested[pay]' && r.effect === 'forbid'));
  // A request in content for a target inside the scope is left to the provenance rules (held as directive by none here).
  const inside = fakeRequest(pay, { arguments: args, scope: { outside: [] } });
  inside.taint = { arguments: ['iban'], sources: ['cnt_1'], injected: [], instructed: [], directive: ['iban'], unnamed: ['iban'] };
  assert.ok(!(await engine.authorize(inside)).reasons.some((r) => r.policy_id.startsWith('scope.target-')));
  // A fetch outside the scope is not a scope matter.
  assert.equal((await engine.authorize(fakeRequest(browse, { arguments: { url: 'https://x.example/' }, scope: { outside: ['url'] } }))).outcome, 'allow');
});
