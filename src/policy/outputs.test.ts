import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../core/types.ts';
import { OutputPolicyEngine, type OutputRequest } from './outputs.ts';

const CLASSES = ['informational', 'needs_confirmation', 'needs_approval', 'blocked'] as const;
const principal: Principal = { user: 'sam', tenant: 'acme', roles: ['support'], agent: 'helper', delegation: ['helper'], issuer: 'https://idp.example' };
const request = (overrides: Partial<OutputRequest> = {}): OutputRequest => ({
  principal,
  source: 'model_output',
  tool: '',
  sideEffect: '',
  trust: 'untrusted',
  dataClasses: [],
  links: { count: 0, images: 0, data_urls: 0, neutralised: 0, exfiltration: false },
  proposed: null,
  textChars: 10,
  session: { id: null, untrustedSeen: false, lowestTrust: 'system', maxClassification: 'public' },
  ...overrides,
});

test('the built-in output policies: informational by default, proposed actions need confirmation or approval, exfiltrating model output is blocked', () => {
  const engine = OutputPolicyEngine.load(null, CLASSES, 'informational');
  assert.equal(engine.classify(request()).class, 'informational');
  assert.equal(engine.classify(request({ proposed: { tool: 'crm.get', sideEffect: 'read' } })).class, 'needs_confirmation');
  const write = engine.classify(request({ proposed: { tool: 'ledger.post', sideEffect: 'write' } }));
  assert.equal(write.class, 'needs_approval');
  assert.deepEqual(write.policy_ids, ['builtin-output-action-request']);
  const leak = engine.classify(request({ links: { count: 1, images: 1, data_urls: 0, neutralised: 1, exfiltration: true } }));
  assert.equal(leak.class, 'blocked');
  assert.equal(engine.classify(request({ source: 'tool_result', links: { count: 1, images: 1, data_urls: 0, neutralised: 1, exfiltration: true } })).class, 'informational', 'a tool result is neutralised, not blocked, by default');
  assert.match(engine.version, /^sha256:/);
});

test('custom policies: the most restrictive satisfied class wins, a forbid blocks, none satisfied gives the default', () => {
  const engine = OutputPolicyEngine.load(
    {
      'a.cedar': `@id("iban-needs-confirmation")
@output_class("needs_confirmation")
permit (principal, action == AirlockOutput::Action::"classify", resource) when { context.data_classes.contains("iban") };
@id("secret-from-untrusted-needs-approval")
@output_class("needs_approval")
permit (principal, action, resource) when { context.data_classes.contains("secret") && context.trust == "untrusted" };
@id("no-cards-to-agents")
forbid (principal, action, resource) when { context.data_classes.contains("card") && principal.delegated };`,
    },
    CLASSES,
    'needs_confirmation',
  );
  assert.equal(engine.classify(request()).class, 'needs_confirmation', 'the configured default');
  assert.deepEqual(engine.classify(request()).policy_ids, ['builtin.output_default']);
  assert.equal(engine.classify(request({ dataClasses: ['iban'] })).class, 'needs_confirmation');
  assert.equal(engine.classify(request({ dataClasses: ['iban', 'secret'] })).class, 'needs_approval');
  const card = engine.classify(request({ dataClasses: ['card', 'iban'] }));
  assert.equal(card.class, 'blocked');
  assert.deepEqual(card.policy_ids, ['no-cards-to-agents']);
});

test('a bundle that does not validate, lacks @id or @output_class, or names an unknown class is refused with every problem', () => {
  const refuse = (text: string, pattern: RegExp) =>
    assert.throws(
      () => OutputPolicyEngine.load({ 'x.cedar': text }, CLASSES, 'informational'),
      (error: { code: string; details: { problems: string[] } }) => error.code === 'ERR_POLICY_OUTPUT_BUNDLE' && error.details.problems.some((p) => pattern.test(p)),
    );
  refuse('@output_class("blocked") permit (principal, action, resource);', /@id/);
  refuse('@id("p") permit (principal, action, resource);', /@output_class/);
  refuse('@id("p") @output_class("maybe") permit (principal, action, resource);', /@output_class/);
  refuse('@id("p") @output_class("blocked") permit (principal, action, resource) when { context.no_such_field };', /no_such_field|attribute/);
  refuse('@id("p") @output_class("blocked") permit (principal, action, resource) when {', /./);
});

test('a memoized verdict is handed out as a copy: changing one answer does not change the next', () => {
  const engine = OutputPolicyEngine.load(null, CLASSES, 'informational');
  const first = engine.classify(request({ proposed: { tool: 'ledger.post', sideEffect: 'write' } }));
  const expected = structuredClone(first);
  first.class = 'informational';
  first.policy_ids.push('tampered');
  first.reasons.length = 0;
  first.errors.push('tampered');
  const second = engine.classify(request({ proposed: { tool: 'ledger.post', sideEffect: 'write' } }));
  assert.deepEqual(second, expected);
  assert.notEqual(second, first);
});
