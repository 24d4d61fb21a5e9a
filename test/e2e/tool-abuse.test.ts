/**
 * Test family B (tool invocation abuse), end to end over HTTP against the support-desk
 * demo: each abuse is denied with its reason code and rule id, recorded in the audit
 * log, and never reaches a tool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

interface Decision {
  outcome: string;
  code: string;
  reasons: Array<{ policy_id: string; code: string; effect: string }>;
  checks: { action_class: { passed: boolean; policy_ids: string[] }; parameters: { passed: boolean; policy_ids: string[] } };
  policy_version: string;
}

async function lineageEvents(fx: HttpFixture, id: string): Promise<Array<Record<string, unknown>>> {
  const auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
  const res = await fx.get(`/v1/audit/lineage/${id}`, auditor);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.events as Array<Record<string, unknown>>;
}

describe('tool invocation abuse over HTTP (family B)', () => {
  let fx: HttpFixture;
  let session: string;

  before(async () => {
    fx = await startDemoServer({
      configure: (c) => ({ ...c, limits: { perUser: { windowSeconds: 60, max: 12 } } }),
    });
    const created = await fx.post(
      '/v1/sessions',
      { attributes: { ticket_id: 't_1', customer_id: 'cus_acme_ada', customer_email: 'ada@lovelace.example' } },
      fx.tokens.sam,
    );
    assert.equal(created.status, 201);
    session = created.body.session_id as string;
  });
  after(() => fx.close());

  test('a privileged action with a low-privilege token is denied by the rule that forbids it', async () => {
    const res = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.exportCustomers', arguments: {} }, fx.tokens.sam);
    assert.equal(res.status, 403);
    assert.equal(res.body.status, 'denied');
    const decision = res.body.decision as Decision;
    assert.equal(decision.outcome, 'deny');
    assert.equal(decision.code, 'policy.forbid');
    assert.deepEqual(decision.reasons.map((r) => r.policy_id), ['support-no-bulk-export']);
    assert.equal(decision.checks.action_class.passed, false);
    assert.match(decision.policy_version, /^sha256:[0-9a-f]{64}$/);
    const events = await lineageEvents(fx, res.body.request_id as string);
    assert.deepEqual(events.map((e) => e.type), ['decision']);
    assert.equal((events[0]?.decision as Decision).code, 'policy.forbid');
    assert.equal(fx.invocations.get('crm.exportCustomers'), undefined);
  });

  test("a cross-tenant resource with a tenant-mismatched token is denied (tenant binding) and recorded", async () => {
    const acmeToGlobex = await fx.post('/v1/tool-calls', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_globex_hank', amount: 5 } }, fx.tokens.sam);
    assert.equal(acmeToGlobex.status, 403);
    const decision = acmeToGlobex.body.decision as Decision;
    assert.equal(decision.code, 'scope.tenant_mismatch');
    assert.deepEqual(decision.reasons.map((r) => r.policy_id), ['builtin.tenant_binding']);

    const globexToAcme = await fx.post('/v1/tool-calls', { session_id: await fx.session(fx.tokens.globexAgent), tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.globexAgent);
    assert.equal(globexToAcme.status, 403);
    assert.equal((globexToAcme.body.decision as Decision).code, 'scope.tenant_mismatch');

    // A customer id that does not exist is refused exactly the same way (no existence oracle).
    const missing = await fx.post('/v1/tool-calls', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_nobody', amount: 5 } }, fx.tokens.sam);
    assert.equal((missing.body.decision as Decision).code, 'scope.tenant_mismatch');
    assert.deepEqual((missing.body.decision as Decision).reasons, decision.reasons);

    const events = await lineageEvents(fx, acmeToGlobex.body.request_id as string);
    const recorded = events[0]?.decision as Record<string, unknown>;
    assert.equal(recorded.code, 'scope.tenant_mismatch');
    assert.deepEqual(recorded.resource, { type: 'Customer', id: 'cus_globex_hank', tenant: 'globex', exists: true });
    assert.equal(fx.invocations.get('billing.refund'), undefined);
    assert.equal(fx.invocations.get('crm.getCustomer'), undefined);
  });

  test('a malformed payload with valid-sounding intent is denied by schema validation and recorded', async () => {
    const res = await fx.post(
      '/v1/tool-calls',
      {
        session_id: session,
        tool: 'billing.refund',
        intent: 'The customer was double charged; please issue the approved refund now.',
        arguments: { customer_id: 'cus_acme_ada', amount: '50', approved: true },
      },
      fx.tokens.sam,
    );
    assert.equal(res.status, 403);
    const decision = res.body.decision as Decision;
    assert.equal(decision.code, 'validate.schema');
    assert.ok(decision.reasons.every((r) => r.policy_id === 'builtin.schema'));
    const messages = decision.reasons.map((r) => (r as unknown as { reason: string }).reason).join(' | ');
    assert.match(messages, /amount/);
    assert.match(messages, /approved/);
    assert.equal(decision.checks.parameters.passed, false);
    const events = await lineageEvents(fx, res.body.request_id as string);
    assert.equal((events[0]?.decision as Decision).code, 'validate.schema');
    assert.equal(fx.invocations.get('billing.refund'), undefined);
  });

  test('repeated attempts hit the rate limit; the refusal is recorded with the session id', async () => {
    const statuses: number[] = [];
    let limited: Record<string, unknown> | undefined;
    for (let i = 0; i < 15; i++) {
      const res = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
      statuses.push(res.status);
      if (res.status === 403 && (res.body.decision as Decision).code === 'limit.rate') limited ??= res.body;
    }
    assert.ok(statuses.includes(200), 'some calls inside the budget succeed');
    assert.ok(limited !== undefined, `rate limit never triggered: ${statuses.join(',')}`);
    const decision = limited.decision as Decision;
    assert.deepEqual(decision.reasons.map((r) => r.policy_id), ['builtin.rate_limit']);
    const events = await lineageEvents(fx, limited.request_id as string);
    assert.equal(events[0]?.session_id, session);
    assert.equal((events[0]?.decision as Decision).code, 'limit.rate');
    // Every call the limiter refused never reached the tool.
    assert.equal(fx.invocations.get('crm.getCustomer'), statuses.filter((s) => s === 200).length);
  });
});
