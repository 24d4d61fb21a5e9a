/**
 * The v1 HTTP contract: paths, named fields and status codes (200 / 202 / 403 / 502, and
 * 400 / 401 / 413 / 415 for bad requests), simulate without side effects, lineage and
 * verification access, and the OpenAPI document that describes them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

type Json = Record<string, unknown>;

describe('HTTP API v1', () => {
  let fx: HttpFixture;
  let session: string;
  before(async () => {
    fx = await startDemoServer({ configure: (c) => ({ ...c, server: { ...c.server, bodyLimitBytes: 4096 } }) });
    session = (await fx.post('/v1/sessions', { attributes: { ticket_id: 't_9', customer_id: 'cus_acme_ada', customer_email: 'ada@lovelace.example' } }, fx.tokens.sam)).body.session_id as string;
  });
  after(() => fx.close());

  test('POST /v1/sessions: 201 with an unguessable id; undeclared or mistyped attributes are 400', async () => {
    assert.match(session, /^ses_[A-Za-z0-9_-]{22}$/);
    const undeclared = await fx.post('/v1/sessions', { attributes: { is_admin: true } }, fx.tokens.sam);
    assert.equal(undeclared.status, 400);
    assert.equal((undeclared.body.error as Json).code, 'ERR_SESSION_ATTRIBUTES');
    const mistyped = await fx.post('/v1/sessions', { attributes: { ticket_id: 7 } }, fx.tokens.sam);
    assert.equal(mistyped.status, 400);
    const anonymous = await fx.post('/v1/sessions', {});
    assert.equal(anonymous.status, 401);
  });

  test('POST /v1/decide returns the contract fields and executes nothing', async () => {
    const res = await fx.post('/v1/decide', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
    assert.equal(res.status, 200);
    for (const field of ['decision_id', 'outcome', 'reasons', 'checks', 'policy_version']) assert.ok(field in res.body, field);
    assert.equal(res.body.outcome, 'allow');
    assert.deepEqual(res.body.checks, {
      action_class: { passed: true, policy_ids: ['support-read-active-customer'] },
      parameters: { passed: true, policy_ids: [] },
    });
    const held = await fx.post('/v1/decide', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_ada', amount: 250 } }, fx.tokens.sam);
    assert.equal(held.body.outcome, 'approval_required');
    assert.match(String(held.body.approval_id), /^apr_/);
    assert.equal(fx.totalInvocations(), 0);
  });

  test('POST /v1/tool-calls: 200 executed (result marked untrusted), 202 held, 403 denied, 502 failed', async () => {
    const executed = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
    assert.equal(executed.status, 200);
    assert.equal(executed.body.status, 'executed');
    assert.equal((executed.body.result as Json).name, 'Ada Lovelace');
    assert.equal(executed.body.result_trust, 'untrusted');

    const held = await fx.post('/v1/tool-calls', { session_id: session, tool: 'email.send', arguments: { to: 'someone@else.example', subject: 's', body: 'b' } }, fx.tokens.sam);
    assert.equal(held.status, 202);
    assert.equal(held.body.status, 'approval_required');
    assert.match(String(held.body.approval_id), /^apr_/);
    assert.equal(((held.body.decision as Json).reasons as Json[])[0]?.policy_id, 'external-email-needs-approval');
    assert.equal(fx.desk.outbox.length, 0);

    const denied = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.exportCustomers', arguments: {} }, fx.tokens.sam);
    assert.equal(denied.status, 403);

    // Allowed by policy, refused by the tool itself: the refund exceeds what the customer paid.
    const failed = await fx.post('/v1/tool-calls', { tool: 'billing.refund', arguments: { customer_id: 'cus_acme_edsger', amount: 99 } }, fx.tokens.fin);
    assert.equal(failed.status, 502);
    assert.equal(failed.body.status, 'failed');
    assert.equal((failed.body.error as Json).code, 'ERR_CONNECTOR_FAILED');
    const auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    const lineage = await fx.get(`/v1/audit/lineage/${failed.body.action_id as string}`, auditor);
    const events = lineage.body.events as Json[];
    assert.deepEqual(events.map((e) => e.type), ['intent', 'result']);
    assert.equal(events[1]?.result_code, 'ERR_CONNECTOR_FAILED');
  });

  test('POST /v1/tool-calls/simulate reports summary, affected count and approval state, with no side effect but its own record', async () => {
    const auditBefore = (await fx.post('/v1/audit/verify', {}, await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] }))).body.checked as number;
    const res = await fx.post('/v1/tool-calls/simulate', { tool: 'crm.exportCustomers', arguments: {} }, fx.tokens.fin);
    assert.equal(res.status, 200);
    assert.equal(res.body.outcome, 'allow');
    assert.equal(res.body.affected_resources, 6);
    assert.match(String(res.body.summary), /crm\.exportCustomers/);
    assert.deepEqual(res.body.approval, { required: false, state: 'not_required', role: null });
    const held = await fx.post('/v1/tool-calls/simulate', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_ada', amount: 300 } }, fx.tokens.sam);
    assert.deepEqual(held.body.approval, { required: true, state: 'required', role: 'finance-lead' });
    assert.equal(held.body.affected_resources, 1);
    const auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    const auditAfter = (await fx.post('/v1/audit/verify', {}, auditor)).body.checked as number;
    assert.equal(auditAfter, auditBefore + 2, 'each dry run writes one simulation event, nothing else');
    for (const id of ['request_id', 'action_id', 'decision_id']) {
      const lineage = await fx.get(`/v1/audit/lineage/${String(held.body[id])}`, auditor);
      assert.equal(lineage.status, 200, id);
      assert.deepEqual((lineage.body.events as Json[]).map((e) => e.type), ['simulation'], id);
    }
    assert.equal(fx.invocations.get('crm.exportCustomers'), undefined);
    assert.equal(fx.invocations.get('billing.refund') ?? 0, 1, 'only the earlier failed refund ran');
  });

  test('malformed requests: 400 / 401 / 413 / 415 with {error:{code,message}}, and nothing runs', async () => {
    const before = fx.totalInvocations();
    const cases: Array<[string, { status: number; body: Json }, number]> = [
      ['not json', await fx.post('/v1/tool-calls', '{"tool": ', fx.tokens.sam), 400],
      ['array body', await fx.post('/v1/tool-calls', [1, 2], fx.tokens.sam), 400],
      ['no tool', await fx.post('/v1/tool-calls', { arguments: {} }, fx.tokens.sam), 400],
      ['no arguments', await fx.post('/v1/tool-calls', { tool: 'crm.getCustomer' }, fx.tokens.sam), 400],
      ['tool not a string', await fx.post('/v1/tool-calls', { tool: 7, arguments: {} }, fx.tokens.sam), 400],
      ['session_id not a string', await fx.post('/v1/decide', { tool: 'crm.getCustomer', arguments: {}, session_id: {} }, fx.tokens.sam), 400],
      ['too large', await fx.post('/v1/tool-calls', { tool: 'email.send', arguments: { to: 'a@acme.example', subject: 's', body: 'x'.repeat(5000) } }, fx.tokens.sam), 413],
      ['no token', await fx.post('/v1/tool-calls', { tool: 'crm.getCustomer', arguments: {} }), 401],
    ];
    for (const [name, res, status] of cases) {
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      const error = res.body.error as Json;
      assert.match(String(error.code), /^ERR_/, name);
      assert.equal(typeof error.message, 'string', name);
    }
    const wrongType = await fetch(`${fx.server.url}/v1/decide`, { method: 'POST', headers: { authorization: `Bearer ${fx.tokens.sam}`, 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(wrongType.status, 415);
    assert.equal(fx.totalInvocations(), before);
  });

  test('lineage: auditors see their tenant, others only their own calls, other tenants nothing', async () => {
    const call = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
    const id = call.body.request_id as string;
    const own = await fx.get(`/v1/audit/lineage/${id}`, fx.tokens.sam);
    assert.equal(own.status, 200);
    assert.match(String(own.body.text), /intent/);
    const colleague = await fx.get(`/v1/audit/lineage/${id}`, await fx.token({ sub: 'mallory', tenant: 'acme', roles: ['support'] }));
    assert.equal(colleague.status, 404);
    const foreignAuditor = await fx.get(`/v1/audit/lineage/${id}`, await fx.token({ sub: 'gus', tenant: 'globex', roles: ['auditor'] }));
    assert.equal(foreignAuditor.status, 404);
    const unknown = await fx.get('/v1/audit/lineage/req_doesnotexist', fx.tokens.sam);
    assert.deepEqual(unknown.body, foreignAuditor.body, 'another tenant\'s id looks exactly like a missing one');
  });

  test('POST /v1/audit/verify needs an auditor; GET /healthz, /readyz, /openapi.json', async () => {
    assert.equal((await fx.post('/v1/audit/verify', {}, fx.tokens.sam)).status, 403);
    const verified = await fx.post('/v1/audit/verify', {}, await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] }));
    assert.equal(verified.status, 200);
    assert.equal(verified.body.ok, true);
    assert.deepEqual((await fx.get('/healthz')).body, { ok: true });
    const ready = await fx.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    const doc = await fx.get('/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    const paths = Object.keys(doc.body.paths as Json);
    for (const path of ['/v1/sessions', '/v1/decide', '/v1/tool-calls', '/v1/tool-calls/simulate', '/v1/audit/lineage/{id}', '/v1/audit/verify', '/healthz', '/readyz', '/openapi.json', '/metrics']) {
      assert.ok(paths.includes(path), path);
    }
  });
});
