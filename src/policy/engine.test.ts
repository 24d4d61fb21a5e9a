/**
 * CedarPolicyEngine outcome paths (docs/policy-model.md "From Cedar's answer to a
 * decision"), obligations, checks, reload semantics and request faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAirlockError } from '../core/errors.ts';
import { CedarPolicyEngine } from './engine.ts';
import { fakeRequest, fakeTool } from './testing.ts';
import type { PolicyBundleSource } from './types.ts';

const refund = fakeTool('billing.refund', 'irreversible', {
  type: 'object',
  properties: { amount: { type: 'number' }, note: { type: 'string' } },
  required: ['amount'],
});
const lookup = fakeTool('crm.getCustomer', 'read', {
  type: 'object',
  properties: { id: { type: 'string' }, fields: { type: 'array', items: { type: 'string' } } },
  required: ['id'],
});
const mail = fakeTool('email.send', 'external_send', {
  type: 'object',
  properties: { to: { type: 'string' } },
  required: ['to'],
});
const TOOLS = [refund, lookup, mail];

const BUNDLE: PolicyBundleSource = {
  files: {
    'billing.cedar': `
@id("refund-staff")
@reason("support may refund")
@credential_scope("billing.refund")
@credential_ttl("60")
permit (principal, action == Airlock::Action::"billing.refund", resource)
when { principal.roles.contains("support") };

@id("refund-large")
@reason("large refunds need a finance lead")
@approval("finance-lead")
@check("parameters")
forbid (principal, action == Airlock::Action::"billing.refund", resource)
when { context.tool_call.parameters.amount.greaterThan(decimal("100.00")) };

@id("refund-note-forbidden")
@check("parameters")
forbid (principal, action == Airlock::Action::"billing.refund", resource)
when { context.tool_call.parameters has note && context.tool_call.parameters.note == "fraud" };
`,
    'crm.cedar': `
@id("read-analysts")
@credential_scope("crm.read")
@credential_ttl("300")
permit (principal, action in Airlock::Action::"read", resource)
when { principal.roles.contains("analyst") };

@id("read-auditors")
@credential_ttl("120")
permit (principal, action in Airlock::Action::"read", resource)
when { principal.roles.contains("auditor") };

// Errors (Long overflow) for affected counts of 2 or more: must deny, never let through.
@id("read-overflow-guard")
forbid (principal, action in Airlock::Action::"read", resource)
when { context.tool_call.affected_count * 4611686018427387904 > 4611686018427387904 };
`,
    'mail.cedar': `
@id("mail-with-approval")
@approval("support-lead")
permit (principal, action == Airlock::Action::"email.send", resource)
when { principal.roles.contains("support") };
`,
  },
};

function engine(bundle: PolicyBundleSource = BUNDLE): CedarPolicyEngine {
  return CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: { purpose: 'String' }, bundle });
}

test('plain permit allows with obligations from the determining permits', () => {
  const e = engine();
  const result = e.authorize(fakeRequest(lookup, { principal: { roles: ['analyst', 'auditor'] }, arguments: { id: 'c1' } }));
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.reasons.map((r) => [r.policy_id, r.code, r.effect]), [
    ['read-analysts', 'policy.permit', 'permit'],
    ['read-auditors', 'policy.permit', 'permit'],
  ]);
  assert.equal(result.reasons[0]?.reason, 'permitted by policy');
  // First scope in bundle order, shortest ttl.
  assert.deepEqual(result.obligations, { credentialScope: 'crm.read', credentialTtlSeconds: 120 });
  assert.deepEqual(result.checks.action_class, { passed: true, policy_ids: ['read-analysts', 'read-auditors'] });
  assert.deepEqual(result.checks.parameters, { passed: true, policy_ids: [] });
  assert.equal(result.policyVersion, e.version);
  assert.deepEqual(result.errors, []);
});

test('plain permit with @reason reports it', () => {
  const result = engine().authorize(fakeRequest(refund, { principal: { roles: ['support'] }, arguments: { amount: 20 } }));
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.reasons, [{ policy_id: 'refund-staff', effect: 'permit', reason: 'support may refund', code: 'policy.permit' }]);
  assert.deepEqual(result.obligations, { credentialScope: 'billing.refund', credentialTtlSeconds: 60 });
});

test('a plain forbid denies even with a matching permit and an approval forbid', () => {
  const result = engine().authorize(
    fakeRequest(refund, { principal: { roles: ['support'] }, arguments: { amount: 500, note: 'fraud' } }),
  );
  assert.equal(result.outcome, 'deny');
  assert.deepEqual(result.reasons.map((r) => [r.policy_id, r.code]), [['refund-note-forbidden', 'policy.forbid']]);
  assert.deepEqual(result.obligations, {});
  // A permit matched and no action_class forbid fired; the parameters check failed.
  assert.equal(result.checks.action_class.passed, true);
  assert.deepEqual(result.checks.parameters, { passed: false, policy_ids: ['refund-large', 'refund-note-forbidden'] });
});

test('no permit: default deny', () => {
  const result = engine().authorize(fakeRequest(refund, { principal: { roles: ['analyst'] }, arguments: { amount: 5 } }));
  assert.equal(result.outcome, 'deny');
  assert.deepEqual(result.reasons, [
    { policy_id: 'builtin.default_deny', effect: 'forbid', reason: 'no policy permits this call', code: 'policy.no_permit' },
  ]);
  assert.deepEqual(result.checks.action_class, { passed: false, policy_ids: ['builtin.default_deny'] });
  assert.equal(result.checks.parameters.passed, true);
});

test('approval forbid with a matching permit holds for approval', () => {
  const result = engine().authorize(fakeRequest(refund, { principal: { roles: ['support'] }, arguments: { amount: 250.5 } }));
  assert.equal(result.outcome, 'approval_required');
  assert.deepEqual(result.reasons, [
    { policy_id: 'refund-large', effect: 'forbid', reason: 'large refunds need a finance lead', code: 'policy.approval_required' },
  ]);
  assert.deepEqual(result.obligations, {
    approval: { role: 'finance-lead', policy_id: 'refund-large' },
    credentialScope: 'billing.refund',
    credentialTtlSeconds: 60,
  });
  assert.equal(result.checks.action_class.passed, true);
  assert.deepEqual(result.checks.parameters, { passed: false, policy_ids: ['refund-large'] });
});

test('approval forbid without any permit denies with no_permit', () => {
  const result = engine().authorize(fakeRequest(refund, { principal: { roles: ['analyst'] }, arguments: { amount: 250 } }));
  assert.equal(result.outcome, 'deny');
  assert.deepEqual(result.reasons.map((r) => r.code), ['policy.no_permit']);
  assert.equal(result.obligations.approval, undefined);
});

test('an approval-only permit holds for approval', () => {
  const result = engine().authorize(fakeRequest(mail, { principal: { roles: ['support'] }, arguments: { to: 'a@b.example' } }));
  assert.equal(result.outcome, 'approval_required');
  assert.deepEqual(result.reasons.map((r) => [r.policy_id, r.effect, r.code]), [['mail-with-approval', 'permit', 'policy.approval_required']]);
  assert.deepEqual(result.obligations, { approval: { role: 'support-lead', policy_id: 'mail-with-approval' } });
  assert.equal(result.checks.action_class.passed, false);
});

test('an approval-only permit beside a plain permit does not hold', () => {
  const bundle = {
    files: {
      'a.cedar': `@id("plain") permit (principal, action == Airlock::Action::"email.send", resource);
@id("held") @approval("lead") permit (principal, action == Airlock::Action::"email.send", resource);`,
    },
  };
  const result = engine(bundle).authorize(fakeRequest(mail, { arguments: { to: 'x' } }));
  assert.equal(result.outcome, 'allow');
  assert.deepEqual(result.reasons.map((r) => r.policy_id), ['plain']);
});

test('an erroring forbid denies with policy.eval_error although a permit matched', () => {
  const e = engine();
  const request = fakeRequest(lookup, { principal: { roles: ['analyst'] }, arguments: { id: 'c1' }, affectedCount: 3 });
  // Cedar alone would allow: the erroring forbid is skipped.
  const raw = e.inspect(request);
  assert.deepEqual(raw.satisfied, ['read-analysts']);
  assert.deepEqual(raw.errors.map((x) => x.policyId), ['read-overflow-guard']);
  const result = e.authorize(request);
  assert.equal(result.outcome, 'deny');
  assert.deepEqual(result.reasons, [
    { policy_id: 'read-overflow-guard', effect: 'forbid', reason: 'policy evaluation failed', code: 'policy.eval_error' },
  ]);
  assert.equal(result.errors.length, 1);
  assert.match(result.errors[0] ?? '', /^read-overflow-guard: .*overflow/);
  assert.equal(result.checks.action_class.passed, false);
  assert.equal(result.checks.parameters.passed, false);
  assert.deepEqual(result.obligations, {});
});

test('an erroring permit also denies', () => {
  const bundle = {
    files: {
      'a.cedar': `@id("p") permit (principal, action, resource) when { context.session.call_count + 9223372036854775807 > 0 };
@id("q") permit (principal, action, resource);`,
    },
  };
  const request = fakeRequest(lookup, { arguments: { id: 'x' } });
  request.session.callCount = 1;
  const result = engine(bundle).authorize(request);
  assert.equal(result.outcome, 'deny');
  assert.deepEqual(result.reasons.map((r) => [r.policy_id, r.code]), [['p', 'policy.eval_error']]);
});

test('context carries intent, session attributes, environment and resource', () => {
  const bundle = {
    files: {
      'a.cedar': `@id("ctx")
permit (principal, action == Airlock::Action::"crm.getCustomer", resource)
when {
  context has intent && context.intent == "look up" &&
  context.session.attributes has purpose && context.session.attributes.purpose == "audit" &&
  context.environment.hour_utc == 10 && context.environment.weekday_utc == 1 &&
  context.environment.now == 1767609000 &&
  context.tool_call.resource has tenant && context.tool_call.resource.tenant == "acme" &&
  context.tool_call.tool == "crm.getCustomer" && context.tool_call.class == "read" &&
  context.tool_call.parameters has fields && context.tool_call.parameters.fields.contains("email") &&
  principal.id == "alice" && principal.tenant == "acme" && !principal.delegated &&
  resource.name == "crm.getCustomer" && resource.tenant_bound
};`,
    },
  };
  const e = engine(bundle);
  const base = {
    arguments: { id: 'c1', fields: ['email', 'name'] },
    intent: 'look up',
    sessionAttributes: { purpose: 'audit' },
    resource: { tenant: 'acme', id: 'c1', exists: true },
    now: Date.UTC(2026, 0, 5, 10, 30),
  };
  assert.equal(e.authorize(fakeRequest(lookup, base)).outcome, 'allow');
  assert.equal(e.authorize(fakeRequest(lookup, { ...base, intent: 'other' })).outcome, 'deny');
  assert.equal(e.authorize(fakeRequest(lookup, { ...base, sessionAttributes: {} })).outcome, 'deny');
  assert.equal(e.authorize(fakeRequest(lookup, { ...base, now: Date.UTC(2026, 0, 5, 11, 30) })).outcome, 'deny');
  assert.equal(e.authorize(fakeRequest(lookup, { ...base, principal: { agent: 'bot', delegation: ['bot'] } })).outcome, 'deny');
});

test('reload swaps the bundle; a refused bundle keeps the previous one active', () => {
  const e = engine();
  const before = e.version;
  const request = fakeRequest(lookup, { principal: { roles: ['analyst'] }, arguments: { id: 'c1' } });
  assert.equal(e.authorize(request).outcome, 'allow');

  const bad = { files: { 'x.cedar': '@id("x") permit (principal, action, resource) when { context.nope };' } };
  assert.throws(() => e.reload(bad), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_INVALID');
  assert.equal(e.version, before);
  const still = e.authorize(request);
  assert.equal(still.outcome, 'allow');
  assert.equal(still.policyVersion, before);

  const denyAll = { files: { 'x.cedar': '@id("nothing") forbid (principal, action, resource);' } };
  const { version } = e.reload(denyAll);
  assert.notEqual(version, before);
  assert.equal(e.version, version);
  const after = e.authorize(request);
  assert.equal(after.outcome, 'deny');
  assert.equal(after.policyVersion, version);

  // Back again (the id pools alternate between generations).
  e.reload(BUNDLE);
  assert.equal(e.version, before);
  assert.equal(e.authorize(request).outcome, 'allow');
  e.dispose();
});

test('two engines do not share preparsed sets', () => {
  const a = engine();
  const b = engine({ files: { 'x.cedar': '@id("nothing") forbid (principal, action, resource);' } });
  const request = fakeRequest(lookup, { principal: { roles: ['analyst'] }, arguments: { id: 'c1' } });
  assert.equal(a.authorize(request).outcome, 'allow');
  assert.equal(b.authorize(request).outcome, 'deny');
  a.dispose();
  assert.equal(b.authorize(request).outcome, 'deny');
  assert.throws(() => a.authorize(request), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_ENGINE');
});

test('unknown or changed tools and unrepresentable arguments are faults, not decisions', () => {
  const e = engine();
  const stranger = fakeTool('other.tool', 'read');
  assert.throws(() => e.authorize(fakeRequest(stranger)), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_UNKNOWN_TOOL');
  const changed = { ...lookup, version: 'v-other' };
  assert.throws(() => e.authorize(fakeRequest(changed, { arguments: { id: 'x' } })), (err) => isAirlockError(err) && err.code === 'ERR_POLICY_TOOL_MISMATCH');
  assert.throws(
    () => e.authorize(fakeRequest(refund, { arguments: { amount: 1.23456 } })),
    (err) => isAirlockError(err) && err.code === 'ERR_POLICY_UNREPRESENTABLE' && err.status === 400,
  );
});

test('schemaText is Cedar schema syntax naming every tool action in its class', () => {
  const text = engine().schemaText();
  assert.match(text, /namespace Airlock/);
  assert.match(text, /action "billing\.refund" in \[Action::"irreversible"\]/);
  assert.match(text, /amount: decimal/);
  assert.doesNotMatch(text, /__cedar/);
});

test('policies() lists the active policies in bundle order', () => {
  const ids = engine().policies().map((p) => p.id);
  assert.deepEqual(ids, ['refund-staff', 'refund-large', 'refund-note-forbidden', 'read-analysts', 'read-auditors', 'read-overflow-guard', 'mail-with-approval']);
});

test('request slices are cached per tool and principal facts, least recently used first out', () => {
  const e = CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: { purpose: 'String' }, bundle: BUNDLE, sliceCacheSize: 2 });
  const ask = (tool: typeof refund, roles: string[]) =>
    e.authorize(fakeRequest(tool, { principal: { roles }, arguments: tool === refund ? { amount: 5 } : { id: 'c1' } })).outcome;
  assert.equal(ask(refund, ['support']), 'allow'); // miss
  assert.equal(ask(refund, ['support', 'sales']), 'allow'); // hit: `sales` is named by no guard
  assert.equal(ask(refund, ['analyst']), 'deny'); // miss
  assert.equal(ask(lookup, ['analyst']), 'allow'); // miss, evicts support/refund
  assert.equal(ask(refund, ['support']), 'allow'); // miss again, evicts analyst/refund
  const stats = e.stats();
  assert.deepEqual(
    { hits: stats.cache.hits, misses: stats.cache.misses, evictions: stats.cache.evictions, entries: stats.cache.entries },
    { hits: 1, misses: 4, evictions: 2, entries: 2 },
  );
  assert.ok(stats.cache.sets <= 2);
  // refund's action slice has 3 policies; an analyst evaluates 2 of them (refund-staff needs support).
  assert.equal(stats.perTool.max, 3);
  assert.equal(stats.evaluated.calls, 5);
  assert.ok(stats.evaluated.meanPolicies < 3);
  e.dispose();
});

test('a principal whose strings Cedar cannot take is refused before Cedar is asked', () => {
  const e = engine();
  for (const principal of [{ roles: ['sup\uD800port'] }, { tenant: 'ac\uDC00me' }, { user: '\uD800' }, { agent: 'b\uD800', delegation: ['b'] }]) {
    assert.throws(
      () => e.authorize(fakeRequest(lookup, { principal, arguments: { id: 'c1' } })),
      (error: unknown) => isAirlockError(error) && error.code === 'ERR_POLICY_UNREPRESENTABLE',
    );
  }
  assert.throws(
    () => e.authorize(fakeRequest(lookup, { arguments: { id: 'c\uD800' } })),
    (error: unknown) => isAirlockError(error) && error.code === 'ERR_POLICY_UNREPRESENTABLE',
  );
  assert.equal(e.authorize(fakeRequest(lookup, { principal: { roles: ['analyst'] }, arguments: { id: 'c1' } })).outcome, 'allow');
});
