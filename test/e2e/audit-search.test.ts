/**
 * GET /v1/audit/events: tenant scoping (another tenant's events are never returned, even when
 * asked for by name), role scoping (auditors and security admins see the tenant, others only
 * their own calls), seq-cursor pagination in both orders, and the filters by tool, outcome,
 * rule, type, user and time; bad parameters answer 400.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

type Json = Record<string, unknown>;
type Event = { seq: number; ts: string; type: string; tool?: string; actor: { tenant: string; user: string }; decision?: Json };

describe('GET /v1/audit/events', () => {
  let fx: HttpFixture;
  let auditor: string;
  let admin: string;
  let globexAuditor: string;

  const search = async (query: string, token: string) => {
    const res = await fx.get(`/v1/audit/events${query === '' ? '' : `?${query}`}`, token);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { events: Event[]; next_after_seq: number | null };
  };
  /** Every event of a search, page by page. */
  const searchAll = async (query: string, token: string) => {
    const out: Event[] = [];
    let after: number | null = null;
    for (let i = 0; i < 1000; i++) {
      const page = await search(`${query}${after === null ? '' : `&after_seq=${after}`}`, token);
      out.push(...page.events);
      if (page.next_after_seq === null) return out;
      after = page.next_after_seq;
    }
    throw new Error('paging did not end');
  };

  before(async () => {
    fx = await startDemoServer();
    auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    admin = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    globexAuditor = await fx.token({ sub: 'gus', tenant: 'globex', roles: ['auditor'] });
    const { sam, fin, globexAgent } = fx.tokens;
    const session = await fx.session(sam, { customer_id: 'cus_acme_grace' });
    const read = { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } };
    assert.equal((await fx.post('/v1/tool-calls', read, sam)).status, 200);
    assert.equal((await fx.post('/v1/tool-calls', read, sam)).status, 200);
    assert.equal((await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.exportCustomers', arguments: {} }, sam)).status, 403);
    assert.equal((await fx.post('/v1/tool-calls', { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } }, fin)).status, 200);
    const globexSession = await fx.session(globexAgent, { customer_id: 'cus_globex_hal' });
    await fx.post('/v1/tool-calls', { session_id: globexSession, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_globex_hal' } }, globexAgent);
    await fx.post('/v1/tool-calls', { session_id: globexSession, tool: 'crm.exportCustomers', arguments: {} }, globexAgent);
  });
  after(async () => {
    await fx?.close();
  });

  test('tenant-scoped: an auditor sees all of their tenant and nothing of another, even when naming it', async () => {
    const acme = await searchAll('limit=1000', auditor);
    const globex = await searchAll('limit=1000', globexAuditor);
    assert.ok(acme.length >= 8, `acme events: ${acme.length}`);
    assert.ok(globex.length >= 2, `globex events: ${globex.length}`);
    assert.ok(acme.every((e) => e.actor.tenant === 'acme'));
    assert.ok(globex.every((e) => e.actor.tenant === 'globex'));
    assert.ok(new Set(acme.map((e) => e.actor.user)).has('sam') && new Set(acme.map((e) => e.actor.user)).has('fin'));
    assert.deepEqual(await search('tenant=globex', auditor), { events: [], next_after_seq: null });
    assert.deepEqual(await search('tenant=acme&user=gina', auditor), { events: [], next_after_seq: null });
    // security-admin reads like an auditor.
    assert.deepEqual((await searchAll('limit=1000', admin)).map((e) => e.seq), acme.map((e) => e.seq));
  });

  test('role-scoped: a caller without an auditor role sees only their own calls', async () => {
    const acme = await searchAll('limit=1000', auditor);
    const sams = await searchAll('limit=1000', fx.tokens.sam);
    assert.deepEqual(sams.map((e) => e.seq), acme.filter((e) => e.actor.user === 'sam').map((e) => e.seq));
    assert.ok(sams.length >= 1);
    assert.deepEqual(await search('user=fin', fx.tokens.sam), { events: [], next_after_seq: null });
    const fins = await searchAll('', fx.tokens.fin);
    assert.ok(fins.length >= 1 && fins.every((e) => e.actor.user === 'fin'));
  });

  test('pages by seq cursor in both orders without losing or repeating an event', async () => {
    const all = (await search('limit=1000', auditor)).events;
    const paged = await searchAll('limit=2', auditor);
    assert.deepEqual(paged, all);
    const first = await search('limit=2', auditor);
    assert.equal(first.events.length, 2);
    assert.equal(first.next_after_seq, first.events[1]?.seq);
    const newest = await searchAll('limit=3&order=newest', auditor);
    assert.deepEqual(newest, [...all].reverse());
    for (let i = 1; i < all.length; i++) assert.ok((all[i]?.seq ?? 0) > (all[i - 1]?.seq ?? 0));
  });

  test('filters by tool, outcome, rule, type, user and time', async () => {
    const all = await searchAll('limit=1000', auditor);
    const byTool = await searchAll('tool=crm.exportCustomers', auditor);
    assert.ok(byTool.length >= 1);
    assert.deepEqual(byTool.map((e) => e.seq), all.filter((e) => e.tool === 'crm.exportCustomers').map((e) => e.seq));
    const denied = await searchAll('outcome=deny', auditor);
    assert.ok(denied.length >= 1);
    assert.ok(denied.every((e) => e.decision?.outcome === 'deny' && e.actor.tenant === 'acme'));
    const allowed = await searchAll('outcome=allow&type=intent&user=sam', auditor);
    assert.equal(allowed.length, 2, 'sam was allowed twice (each allowed call records its intent with the decision)');
    const rule = await searchAll('rule=support-no-bulk-export', auditor);
    assert.ok(rule.length >= 1);
    for (const e of rule) {
      assert.ok(((e.decision?.reasons as Json[]) ?? []).some((r) => r.policy_id === 'support-no-bulk-export'));
    }
    assert.deepEqual(rule.map((e) => e.seq), denied.filter((e) => e.tool === 'crm.exportCustomers').map((e) => e.seq));
    const read = await searchAll('rule=support-read-active-customer&outcome=allow', auditor);
    assert.equal(read.length, 2);
    const pivot = all[Math.floor(all.length / 2)] as Event;
    const since = await searchAll(`from=${encodeURIComponent(pivot.ts)}`, auditor);
    assert.deepEqual(since.map((e) => e.seq), all.filter((e) => e.ts >= pivot.ts).map((e) => e.seq));
    const before = await searchAll(`to=${encodeURIComponent(pivot.ts)}`, auditor);
    assert.deepEqual(before.map((e) => e.seq), all.filter((e) => e.ts < pivot.ts).map((e) => e.seq));
  });

  test('bad parameters answer 400; no token answers 401', async () => {
    for (const query of ['limit=0', 'limit=1001', 'after_seq=-1', 'outcome=maybe', 'from=yesterday', 'order=up', 'tenantt=acme']) {
      const res = await fx.get(`/v1/audit/events?${query}`, auditor);
      assert.equal(res.status, 400, query);
      assert.equal((res.body.error as Json).code, 'ERR_AUDIT_SEARCH_INVALID', query);
    }
    assert.equal((await fx.get('/v1/audit/events')).status, 401);
  });

  test('is in the OpenAPI document', async () => {
    const doc = (await fx.get('/openapi.json')).body as { paths: Record<string, Json> };
    assert.ok(doc.paths['/v1/audit/events']?.get !== undefined);
  });
});
