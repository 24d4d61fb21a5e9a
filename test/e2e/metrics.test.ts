/**
 * GET /metrics over HTTP: calls move the counters by exactly what they did (allowed, held,
 * denied, failed upstream, rate-limited, unknown tool), the backlog gauges follow the stores,
 * the exposition parses, a caller-chosen tool name never becomes a label value, and access is
 * refused per server.metrics (remote callers without a token; a wrong or missing token).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpFixture } from '../support/demo.ts';
import { startDemo, startDemoServer } from '../support/demo.ts';
import { createApp } from '../../src/server/index.ts';
import type { Exposition } from '../../src/metrics/test-helpers.ts';
import { parseExposition } from '../../src/metrics/test-helpers.ts';

type Json = Record<string, unknown>;

async function scrape(url: string, token?: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('GET /metrics', () => {
  let fx: HttpFixture;
  let session: string;
  before(async () => {
    fx = await startDemoServer({ configure: (c) => ({ ...c, limits: { ...c.limits, perSession: { windowSeconds: 3600, max: 3 } } }) });
    session = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
  });
  after(() => fx.close());

  const metrics = async (): Promise<Exposition> => {
    const res = await scrape(fx.server.url);
    assert.equal(res.status, 200);
    assert.match(String(res.type), /^text\/plain; version=0\.0\.4/);
    return parseExposition(res.text);
  };

  test('calls move the decision, latency, upstream and rate-limit counters by exactly what they did', async () => {
    const before = await metrics();
    const decisions = (m: Exposition, labels: Record<string, string>) => m.sum('airlock_decisions_total', labels);

    const allowed = await fx.post('/v1/decide', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
    assert.equal(allowed.body.outcome, 'allow');
    const held = await fx.post('/v1/decide', { session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_ada', amount: 250 } }, fx.tokens.sam);
    assert.equal(held.body.outcome, 'approval_required');
    const deniedSession = await fx.session(fx.tokens.sam);
    const denied = await fx.post('/v1/tool-calls', { session_id: deniedSession, tool: 'crm.exportCustomers', arguments: {} }, fx.tokens.sam);
    assert.equal(denied.status, 403);
    const denyRule = (((denied.body.decision as Json).reasons as Json[])[0] as Json).policy_id as string;
    const failed = await fx.post('/v1/tool-calls', { tool: 'billing.refund', arguments: { customer_id: 'cus_acme_edsger', amount: 99 } }, fx.tokens.fin);
    assert.equal(failed.status, 502);
    // A session allowed three calls: the fourth is refused by the rate limiter.
    const limited = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fx.post('/v1/decide', { session_id: limited, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
      outcomes.push(`${String(res.body.outcome)}:${String((res.body.decision as Json).code)}`);
    }
    assert.deepEqual(outcomes, ['allow:policy.permit', 'allow:policy.permit', 'allow:policy.permit', 'deny:limit.rate']);

    const after = await metrics();
    const moved = (labels: Record<string, string>) => decisions(after, labels) - decisions(before, labels);
    assert.equal(moved({ mode: 'decide', outcome: 'allow', rule: 'support-read-active-customer', tool: 'crm.getCustomer', tenant: 'acme' }), 4);
    assert.equal(moved({ mode: 'decide', outcome: 'approval_required', tool: 'billing.refund', tenant: 'acme' }), 1);
    assert.equal(moved({ mode: 'execute', outcome: 'deny', rule: denyRule, tool: 'crm.exportCustomers', tenant: 'acme' }), 1);
    assert.equal(moved({ mode: 'execute', outcome: 'allow', tool: 'billing.refund', tenant: 'acme' }), 1);
    assert.equal(moved({ mode: 'decide', outcome: 'deny', rule: 'builtin.rate_limit', tool: 'crm.getCustomer', tenant: 'acme' }), 1);
    assert.equal(moved({}), 8, 'eight calls, eight decisions');

    const delta = (name: string, labels: Record<string, string> = {}) => after.sum(name, labels) - before.sum(name, labels);
    assert.equal(delta('airlock_rate_limit_refusals_total', { tool: 'crm.getCustomer', tenant: 'acme' }), 1);
    assert.equal(delta('airlock_rate_limit_refusals_total'), 1);
    assert.equal(delta('airlock_upstream_errors_total', { tool: 'billing.refund', code: 'ERR_CONNECTOR_FAILED' }), 1);
    assert.equal(delta('airlock_upstream_errors_total'), 1);
    assert.equal(delta('airlock_phase_duration_seconds_count', { mode: 'decide', phase: 'identify' }), 6);
    assert.equal(delta('airlock_phase_duration_seconds_count', { mode: 'execute', phase: 'execute' }), 1, 'only the allowed execute call reached the connector');
    assert.equal(delta('airlock_call_duration_seconds_count'), 8);
    // Every committed audit batch is observed once, with its size.
    const batches = fx.gateway.stats().audit?.batches ?? -1;
    assert.equal(after.value('airlock_audit_commit_duration_seconds_count'), batches);
    assert.equal(after.value('airlock_audit_batch_events_count'), batches);
    assert.equal(after.value('airlock_audit_batch_events_sum'), fx.gateway.stats().audit?.events);
  });

  test('the approval and override gauges follow their stores at scrape time', async () => {
    const before = await metrics();
    const pendingBefore = before.value('airlock_approvals_pending', { tenant: 'acme' }) ?? 0;
    const s = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    const held = await fx.post('/v1/tool-calls', { session_id: s, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_ada', amount: 250 } }, fx.tokens.sam);
    assert.equal(held.status, 202);
    let m = await metrics();
    assert.equal(m.value('airlock_approvals_pending', { tenant: 'acme' }), pendingBefore + 1);
    assert.ok((m.value('airlock_approvals_pending_oldest_age_seconds', { tenant: 'acme' }) ?? -1) >= 0);
    assert.equal(m.value('airlock_overrides_open', { tenant: 'acme' }), undefined);

    const olga = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    const created = await fx.post('/v1/overrides', { scope: { kind: 'tool', tool: 'crm.exportCustomers', tenant: 'acme' }, justification: 'incident 7' }, olga);
    assert.equal(created.status, 201);
    const denied = await fx.post(`/v1/approvals/${String(held.body.approval_id)}/deny`, { justification: 'no' }, fx.tokens.fin);
    assert.equal(denied.status, 200);
    m = await metrics();
    assert.equal(m.value('airlock_overrides_open', { tenant: 'acme' }), 1);
    assert.ok((m.value('airlock_overrides_open_median_age_seconds', { tenant: 'acme' }) ?? -1) >= 0);
    assert.equal(m.value('airlock_approvals_pending', { tenant: 'acme' }) ?? 0, pendingBefore, 'a denied request is no longer pending');
    assert.equal(m.value('airlock_mcp_definitions_pending'), 0, 'no MCP hub: nothing waits for review');

    const revoked = await fx.post(`/v1/overrides/${String((created.body.override as Json).id)}/revoke`, { justification: 'incident closed' }, olga);
    assert.equal(revoked.status, 200);
    assert.equal((await metrics()).value('airlock_overrides_open', { tenant: 'acme' }), undefined);
  });

  test('a caller-chosen tool name never becomes a label value: it is counted as (unknown)', async () => {
    const before = await metrics();
    const s = await fx.session(fx.tokens.sam);
    const names = ['exfiltrate_everything', 'zz"}\\ injected{label="x"} 1e9', `unbounded_${'a'.repeat(100)}`];
    for (const tool of names) {
      const res = await fx.post('/v1/decide', { session_id: s, tool, arguments: {} }, fx.tokens.sam);
      assert.equal(res.body.outcome, 'deny');
    }
    const res = await scrape(fx.server.url);
    const after = parseExposition(res.text);
    for (const tool of names) {
      assert.ok(!res.text.includes(tool.slice(0, 12)), `the name ${tool.slice(0, 12)} appears in the exposition`);
    }
    const tools = new Set(after.samples.map((x) => x.labels.tool).filter((t) => t !== undefined));
    for (const tool of tools) assert.ok(tool === '(unknown)' || fx.gateway.listTools().some((t) => t.name === tool), `label value ${tool}`);
    assert.equal(
      after.sum('airlock_decisions_total', { mode: 'decide', outcome: 'deny', tool: '(unknown)', tenant: 'acme' }) -
        before.sum('airlock_decisions_total', { mode: 'decide', outcome: 'deny', tool: '(unknown)', tenant: 'acme' }),
      names.length,
    );
  });

  test('without a token, a remote caller is refused (403) and no metrics are served', async () => {
    const app = createApp(fx.gateway);
    const remote = await app.fetch(new Request('http://airlock.example/metrics'), { incoming: { socket: { remoteAddress: '192.0.2.7' } } });
    assert.equal(remote.status, 403);
    assert.equal(((await remote.json()) as { error: Json }).error.code, 'ERR_METRICS_FORBIDDEN');
    const unknownPeer = await app.fetch(new Request('http://airlock.example/metrics'));
    assert.equal(unknownPeer.status, 403, 'no peer address: refused (fail closed)');
    const local = await app.fetch(new Request('http://airlock.example/metrics'), { incoming: { socket: { remoteAddress: '::ffff:127.0.0.1' } } });
    assert.equal(local.status, 200);
  });
});

describe('GET /metrics with a bearer token configured', () => {
  let fx: HttpFixture;
  const secret = 'metrics-scrape-token-for-tests-0123456789';
  before(async () => {
    process.env.AIRLOCK_TEST_METRICS_TOKEN = secret;
    fx = await startDemoServer({ configure: (c) => ({ ...c, server: { ...c.server, metrics: { enabled: true, token: 'env:AIRLOCK_TEST_METRICS_TOKEN' } } }) });
  });
  after(async () => {
    await fx.close();
    delete process.env.AIRLOCK_TEST_METRICS_TOKEN;
  });

  test('the token is required, also from loopback; a wrong one or a user bearer token is refused with 401', async () => {
    for (const token of [undefined, 'wrong', fx.tokens.fin]) {
      const res = await scrape(fx.server.url, token);
      assert.equal(res.status, 401, String(token));
      assert.equal((JSON.parse(res.text) as { error: Json }).error.code, 'ERR_METRICS_UNAUTHORIZED');
      assert.ok(!res.text.includes('airlock_decisions_total'));
    }
    const ok = await scrape(fx.server.url, secret);
    assert.equal(ok.status, 200);
    assert.ok(parseExposition(ok.text).types.has('airlock_decisions_total'));
  });
});

describe('GET /metrics disabled', () => {
  test('answers 404 ERR_METRICS_DISABLED, even to loopback', async () => {
    const fx = await startDemo({ configure: (c) => ({ ...c, server: { ...c.server, metrics: { enabled: false, token: null } } }) });
    try {
      const res = await createApp(fx.gateway).fetch(new Request('http://localhost/metrics'), { incoming: { socket: { remoteAddress: '127.0.0.1' } } });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: Json }).error.code, 'ERR_METRICS_DISABLED');
    } finally {
      await fx.close();
    }
  });
});
