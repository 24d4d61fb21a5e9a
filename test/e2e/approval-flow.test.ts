/**
 * A held call end to end over HTTP: the hold creates a request; reviewers are checked
 * (role, tenant, not the requester, never an agent); the requester's runtime fetches a
 * one-time token; the call is re-run with it (same action only, once), and every state
 * change is in the audit log with the operator's identity.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { HttpFixture } from '../support/demo.ts';
import { demoBundleWith, startDemoServer } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

type Json = Record<string, unknown>;

describe('approval flow over HTTP', () => {
  let fx: HttpFixture;
  let bundle: string;
  let session: string;
  before(async () => {
    bundle = demoBundleWith();
    fx = await startDemoServer({ configure: (c) => ({ ...c, policy: { ...c.policy, bundleDir: bundle } }) });
    session = (await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, fx.tokens.sam)).body.session_id as string;
  });
  after(() => fx.close());

  const refund = (amount: number, extra: Json = {}) =>
    fx.post('/v1/tool-calls', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount }, ...extra }, fx.tokens.sam);

  test('hold -> reviewer checks -> token to the requester only -> one execution of exactly that action', async () => {
    const held = await refund(250);
    assert.equal(held.status, 202);
    const id = held.body.approval_id as string;

    const pending = await fx.get('/v1/approvals?state=pending', fx.tokens.fin);
    const listed = (pending.body.approvals as Json[]).find((a) => a.id === id);
    assert.ok(listed !== undefined);
    assert.deepEqual((listed.requester as Json).delegation, ['support-agent'], 'the delegation chain is recorded, so no actor of it can decide');
    const foreign = await fx.token({ sub: 'gus', tenant: 'globex', roles: ['finance-lead'] });
    assert.deepEqual((await fx.get('/v1/approvals?state=pending', foreign)).body.approvals, []);
    const missing = await fx.get('/v1/approvals/apr_doesnotexist0000000000', foreign);
    const hidden = await fx.get(`/v1/approvals/${id}`, foreign);
    assert.equal(hidden.status, 404);
    assert.deepEqual(hidden.body, missing.body, "another tenant's request looks like a missing one");

    const refusals: Array<[string, string, number, string]> = [
      ['requester', fx.tokens.sam, 403, 'ERR_APPROVAL_'],
      ['agent token with the role', await fx.token({ sub: 'fin', tenant: 'acme', roles: ['finance-lead'], agent: 'finance-bot' }), 403, 'ERR_APPROVAL_AGENT_FORBIDDEN'],
      ['reviewer without the role', await fx.token({ sub: 'sue', tenant: 'acme', roles: ['support'] }), 403, 'ERR_APPROVAL_ROLE_REQUIRED'],
      ['reviewer of another tenant', foreign, 404, 'ERR_APPROVAL_NOT_FOUND'],
    ];
    for (const [who, token, status, code] of refusals) {
      const res = await fx.post(`/v1/approvals/${id}/approve`, { justification: 'looks fine' }, token);
      assert.equal(res.status, status, `${who}: ${JSON.stringify(res.body)}`);
      assert.ok(String((res.body.error as Json).code).startsWith(code), who);
    }
    assert.equal((await fx.post(`/v1/approvals/${id}/approve`, {}, fx.tokens.fin)).status, 400, 'justification is mandatory');

    const approved = await fx.post(`/v1/approvals/${id}/approve`, { justification: 'duplicate charge confirmed in ledger' }, fx.tokens.fin);
    assert.equal(approved.status, 200);
    assert.equal((approved.body.approval as Json).state, 'approved');
    assert.equal((await fx.get(`/v1/approvals/${id}`, fx.tokens.fin)).body.approval_token, undefined, 'only the requester gets the token');
    const token = (await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval_token as string;
    recordSecret('approval token', token, ['http']);
    assert.match(token, /^eyJ/);

    const changed = await refund(251, { approval_token: token });
    assert.equal(changed.status, 403);
    assert.equal((changed.body.decision as Json).code, 'approval.mismatch');
    assert.equal(fx.desk.refunds.length, 0);

    const executed = await refund(250, { approval_token: token });
    assert.equal(executed.status, 200, JSON.stringify(executed.body));
    assert.equal((executed.body.decision as Json).code, 'approval.granted');
    assert.equal(fx.desk.refunds.length, 1);

    const replay = await refund(250, { approval_token: token });
    assert.equal(replay.status, 403);
    assert.equal((replay.body.decision as Json).code, 'approval.consumed');
    assert.equal(fx.desk.refunds.length, 1);

    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    const events = (await log.read()).filter((e) => e.type.startsWith('approval.') && (e.data as Json | undefined)?.approval_id === id);
    await log.close();
    const byType = new Map(events.map((e) => [e.type, e]));
    assert.equal(byType.get('approval.approved')?.actor.user, 'fin');
    assert.equal((byType.get('approval.approved')?.data as Json).justification, 'duplicate charge confirmed in ledger');
    assert.equal(byType.get('approval.consumed')?.actor.user, 'sam');
    assert.equal(byType.get('approval.replay_attempted')?.actor.user, 'sam');
  });

  test('an approval is used only in the session it was asked in', async () => {
    const held = await refund(260);
    const id = held.body.approval_id as string;
    await fx.post(`/v1/approvals/${id}/approve`, { justification: 'confirmed' }, fx.tokens.fin);
    const token = (await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval_token as string;
    recordSecret('approval token', token, ['http']);
    const other = (await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, fx.tokens.sam)).body.session_id as string;
    const refunds = fx.desk.refunds.length;
    const elsewhere = await fx.post(
      '/v1/tool-calls',
      { session_id: other, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 260 }, approval_token: token },
      fx.tokens.sam,
    );
    assert.equal(elsewhere.status, 403, JSON.stringify(elsewhere.body));
    assert.equal((elsewhere.body.decision as Json).code, 'approval.mismatch');
    assert.equal(fx.desk.refunds.length, refunds);
    assert.equal(((await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval as Json).state, 'approved', 'the token was not consumed');
    const executed = await refund(260, { approval_token: token });
    assert.equal(executed.status, 200, JSON.stringify(executed.body));
    assert.equal(fx.desk.refunds.length, refunds + 1);
  });

  test('a policy that now denies wins over an approval given earlier', async () => {
    const refunds = fx.desk.refunds.length;
    const held = await refund(300);
    const id = held.body.approval_id as string;
    await fx.post(`/v1/approvals/${id}/approve`, { justification: 'ok' }, fx.tokens.fin);
    const token = (await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval_token as string;
    recordSecret('approval token', token, ['http']);
    const file = join(bundle, 'billing.cedar');
    writeFileSync(file, readFileSync(file, 'utf8').replace('@approval("finance-lead")\n', ''));
    await fx.gateway.reloadPolicy();
    const res = await refund(300, { approval_token: token });
    assert.equal(res.status, 403);
    assert.equal((res.body.decision as Json).code, 'policy.forbid');
    assert.equal(((await fx.get(`/v1/approvals/${id}`, fx.tokens.sam)).body.approval as Json).state, 'approved', 'the token was not consumed');
    assert.equal(fx.desk.refunds.length, refunds);
  });
});
