/**
 * An unknown Cedar action in a policy is reported with the registered tool whose name is
 * nearest (edit distance), not Cedar's own hint (which names a side-effect class such as
 * `none`); a name close to no tool says so instead of guessing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AirlockError } from '../core/errors.ts';
import { CedarPolicyEngine } from './engine.ts';
import { fakeTool } from './testing.ts';
import type { PolicyDiagnostic } from './types.ts';

const OBJECT = { type: 'object' as const, properties: {} };
const TOOLS = [
  fakeTool('crm.getCustomer', 'read', OBJECT),
  fakeTool('crm.exportCustomers', 'read', OBJECT),
  fakeTool('billing.refund', 'irreversible', OBJECT),
  fakeTool('email.send', 'external_send', OBJECT),
];

function refusal(policy: string): PolicyDiagnostic[] {
  try {
    CedarPolicyEngine.create({ tools: TOOLS, sessionAttributes: {}, bundle: { files: { 'p.cedar': policy } } });
  } catch (error) {
    assert.ok(error instanceof AirlockError);
    assert.equal(error.code, 'ERR_POLICY_INVALID');
    return (error.details as { diagnostics: PolicyDiagnostic[] }).diagnostics;
  }
  assert.fail('bundle was accepted');
}

const permit = (action: string) => `@id("p")\npermit (principal, action == Airlock::Action::"${action}", resource);\n`;

test('a misspelt tool action suggests the nearest tool name', () => {
  for (const [typo, tool] of [
    ['crm.getCustomr', 'crm.getCustomer'],
    ['crm.GetCustomer', 'crm.getCustomer'],
    ['billing.refunds', 'billing.refund'],
    ['emial.send', 'email.send'],
    ['crm.exportCustomer', 'crm.exportCustomers'],
  ] as const) {
    const diagnostics = refusal(permit(typo));
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    const message = diagnostics[0]?.message ?? '';
    assert.ok(message.includes(`unrecognized action \`Airlock::Action::"${typo}"\``), message);
    assert.ok(message.endsWith(`(did you mean the tool \`${tool}\`?)`), message);
    assert.equal(diagnostics[0]?.line, 2);
    assert.equal(diagnostics[0]?.policy_id, 'p');
  }
});

test("Cedar's own hint (a side-effect class such as none) is never offered for an unknown action", () => {
  const message = refusal(permit('crm.getCustomr'))[0]?.message ?? '';
  assert.doesNotMatch(message, /`none`|Action::"none"|Action::"read"/);
});

test('an action close to no tool says so instead of guessing', () => {
  const message = refusal(permit('inventory.adjustStock'))[0]?.message ?? '';
  assert.match(message, /unrecognized action/);
  assert.ok(message.endsWith('(no registered tool has a similar name)'), message);
});

test('an unknown action in an action list is reported with its suggestion too', () => {
  const diagnostics = refusal('@id("q")\npermit (principal, action in [Airlock::Action::"crm.getCustomer", Airlock::Action::"email.sned"], resource);\n');
  assert.ok(diagnostics.some((d) => d.message.includes('(did you mean the tool `email.send`?)')), JSON.stringify(diagnostics));
});
