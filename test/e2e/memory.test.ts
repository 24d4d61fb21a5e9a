/**
 * Governed memory over HTTP, against the support-desk demo's `customer_note` kind:
 * cross-tenant retrieval, a secret write, and unreviewed promotion of tool output are all
 * refused; a reviewer promotes; deletion removes the derived index entries; every write,
 * refusal, review and deletion is in the audit log without the memory's content.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

type Json = Record<string, unknown>;

describe('governed memory over HTTP', () => {
  let fx: HttpFixture;
  let auditor: string;
  let reviewer: string;
  before(async () => {
    fx = await startDemoServer();
    auditor = await fx.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
    reviewer = await fx.token({ sub: 'rita', tenant: 'acme', roles: ['memory-reviewer'] });
  });
  after(() => fx.close());

  const note = (overrides: Json = {}) => ({
    kind: 'customer_note',
    owner: 'sam',
    content: { customer_id: 'cus_acme_grace', note: 'Prefers a call back after 3pm.' },
    provenance: { kind: 'user_statement', source_ids: [] },
    confidence: 0.9,
    ttl_seconds: 86_400,
    ...overrides,
  });
  /** Memory events about one memory id, straight from the audit log. */
  const memoryEvents = async (id: string) => {
    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    const events = (await log.read({ limit: 100_000 })).filter((e) => e.type.startsWith('memory.') && (e.data as Json | undefined)?.id === id);
    await log.close();
    return events;
  };
  const del = async (path: string, token: string) => {
    const res = await fetch(`${fx.server.url}${path}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  test('retrieval never crosses tenants (and the tenant in the body is ignored)', async () => {
    const human = await fx.token({ sub: 'sam', tenant: 'acme', roles: ['support'] });
    const written = await fx.post('/v1/memory', { ...note({ owner: 'role:support' }), tenant: 'globex' }, human);
    assert.equal(written.status, 201);
    assert.equal(written.body.state, 'active');
    const id = written.body.id as string;
    const mine = await fx.get('/v1/memory?q=call%20back', human);
    assert.deepEqual((mine.body.memories as Json[]).map((m) => [m.id, m.tenant]), [[id, 'acme']]);

    const globex = await fx.token({ sub: 'gina', tenant: 'globex', roles: ['support', 'memory-reviewer'] });
    assert.deepEqual((await fx.get('/v1/memory', globex)).body.memories, []);
    assert.deepEqual((await fx.get('/v1/memory?q=call%20back', globex)).body.memories, []);
    const foreign = await fx.get(`/v1/memory/${id}`, globex);
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.body, (await fx.get('/v1/memory/mem_doesnotexist000000000', globex)).body, 'looks like a missing one');
    assert.equal((await del(`/v1/memory/${id}`, globex)).status, 404);
    assert.equal((await fx.get(`/v1/memory/${id}`, human)).status, 200, 'still there');
  });

  test('an agent writing without naming its session is queued, not stored', async () => {
    const res = await fx.post('/v1/memory', note(), fx.tokens.sam);
    assert.deepEqual([res.status, res.body.state, res.body.review_reasons], [201, 'pending_review', ['provenance.unverifiable']]);
  });

  test('a secret write is refused and recorded as a refusal', async () => {
    const res = await fx.post('/v1/memory', note({ content: { customer_id: 'cus_acme_grace', note: 'portal login: password=Tr0ub4dor&3' } }), fx.tokens.sam);
    assert.equal(res.status, 400);
    assert.equal((res.body.error as Json).code, 'ERR_MEMORY_SECRET');
    const token = await fx.post('/v1/memory', note({ content: { customer_id: 'cus_acme_grace', note: 'api key sk-proj-abcdefghijklmnop' } }), fx.tokens.sam);
    assert.equal((token.body.error as Json).code, 'ERR_MEMORY_SECRET');
    assert.deepEqual((await fx.get('/v1/memory?q=portal', fx.tokens.sam)).body.memories, []);
    const session = (await fx.post('/v1/sessions', {}, fx.tokens.sam)).body.session_id as string;
    const withSession = await fx.post('/v1/memory', note({ content: { customer_id: 'cus_acme_grace', note: 'token ghp_abcdefghijklmnopqrstuvwxyz' }, provenance: { kind: 'user_statement', session_id: session, source_ids: [] } }), fx.tokens.sam);
    assert.equal(withSession.status, 400);
    const events = (await fx.get(`/v1/audit/lineage/${session}`, auditor)).body.events as Json[];
    const refused = events.filter((e) => e.type === 'memory.refused');
    assert.deepEqual(refused.map((e) => (e.data as Json).reason), ['secret']);
    assert.ok(!JSON.stringify(events).includes('ghp_abcdefghij'));
  });

  test('tool output is never promoted without a reviewer; a reviewer promotes it', async () => {
    const session = (await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, fx.tokens.sam)).body.session_id as string;
    const read = await fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } }, fx.tokens.sam);
    const email = (read.body.result as Json).email as string;

    const fromTool = await fx.post(
      '/v1/memory',
      note({ content: { customer_id: 'cus_acme_grace', note: 'Contact address on file', contact: email }, provenance: { kind: 'tool_output', tool: 'crm.getCustomer', session_id: session, source_ids: [read.body.action_id] } }),
      fx.tokens.sam,
    );
    assert.equal(fromTool.status, 201);
    assert.deepEqual([fromTool.body.state, fromTool.body.review_reasons], ['pending_review', ['provenance.tool_output', 'content.tainted']]);
    const id = fromTool.body.id as string;
    // Claiming the user said it does not launder it: the address came only from the tool result.
    const laundered = await fx.post(
      '/v1/memory',
      note({ content: { customer_id: 'cus_acme_grace', note: 'Contact address', contact: email }, provenance: { kind: 'user_statement', session_id: session, source_ids: [] } }),
      fx.tokens.sam,
    );
    assert.deepEqual([laundered.body.state, laundered.body.review_reasons], ['pending_review', ['content.tainted']]);

    assert.deepEqual((await fx.get(`/v1/memory?q=${encodeURIComponent('contact address')}`, fx.tokens.sam)).body.memories, [], 'not in memory');
    const promote = (token: string) => fx.post(`/v1/memory/review/${id}`, { verdict: 'promote', justification: 'verified' }, token);
    assert.equal((await promote(fx.tokens.sam)).status, 403, 'the writing agent cannot promote');
    const selfReview = await fx.token({ sub: 'sam', tenant: 'acme', roles: ['memory-reviewer'] });
    assert.equal(((await promote(selfReview)).body.error as Json).code, 'ERR_MEMORY_SELF_REVIEW');
    const agentReviewer = await fx.token({ sub: 'rita', tenant: 'acme', roles: ['memory-reviewer'], agent: 'review-bot' });
    assert.equal(((await promote(agentReviewer)).body.error as Json).code, 'ERR_MEMORY_AGENT_FORBIDDEN');
    const globexReviewer = await fx.token({ sub: 'gus', tenant: 'globex', roles: ['memory-reviewer'] });
    assert.equal((await promote(globexReviewer)).status, 404);

    const queue = await fx.get('/v1/memory/review', reviewer);
    assert.ok((queue.body.pending as Json[]).some((m) => m.id === id));
    const promoted = await promote(reviewer);
    assert.equal(promoted.status, 200);
    assert.equal((promoted.body.memory as Json).state, 'active');
    const found = (await fx.get(`/v1/memory?q=${encodeURIComponent('contact address on file')}`, fx.tokens.sam)).body.memories as Json[];
    assert.deepEqual(found.map((m) => m.id), [id]);
    const reviewed = (await memoryEvents(id)).map((e) => [e.type, e.actor.user, (e.data as Json).verdict ?? null]);
    assert.deepEqual(reviewed, [['memory.queued', 'sam', null], ['memory.reviewed', 'rita', 'promote']]);

    const events = (await fx.get(`/v1/audit/lineage/${session}`, auditor)).body.events as Json[];
    assert.deepEqual(
      events.filter((e) => String(e.type).startsWith('memory.')).map((e) => e.type),
      ['memory.queued', 'memory.queued'],
    );
    assert.ok(!JSON.stringify(events).includes('Contact address on file'));
  });

  test('deletion removes the memory and its index entries, and is audited', async () => {
    const human = await fx.token({ sub: 'sam', tenant: 'acme', roles: ['support'] });
    const written = await fx.post('/v1/memory', note({ content: { customer_id: 'cus_acme_alan', note: 'Zebra-striped invoices please' } }), human);
    assert.equal(written.body.state, 'active');
    const id = written.body.id as string;
    assert.equal(((await fx.get('/v1/memory?q=zebra', human)).body.memories as Json[]).length, 1);
    const other = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['finance-lead'] });
    assert.equal((await del(`/v1/memory/${id}`, other)).status, 404, 'not its owner');
    assert.equal((await del(`/v1/memory/${id}`, human)).status, 200);
    assert.deepEqual((await fx.get('/v1/memory?q=zebra', human)).body.memories, []);
    assert.equal((await fx.get(`/v1/memory/${id}`, human)).status, 404);
    const events = await memoryEvents(id);
    assert.deepEqual(events.map((e) => [e.type, e.actor.user]), [['memory.written', 'sam'], ['memory.deleted', 'sam']]);
    assert.ok(!JSON.stringify(events).includes('Zebra-striped'), 'hashes and metadata, never the content');
  });
});
