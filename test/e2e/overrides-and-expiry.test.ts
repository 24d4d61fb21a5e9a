/**
 * Seed test family C over HTTP, the parts about time and break-glass: an approval token
 * used after its expiry is refused with its code; an override without a justification is
 * refused; an override is recorded with its named owner and timestamp, lets exactly what it
 * covers through (never a gateway-enforced refusal), is counted, expires, can be revoked,
 * and is invisible to other tenants. Time is a manual clock: nothing sleeps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { AuditEvent } from '../../src/core/types.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

type Json = Record<string, unknown>;

describe('approval expiry and break-glass overrides over HTTP', () => {
  let fx: HttpFixture;
  let clock: ManualClock;
  let sam: string;
  let fin: string;
  let olga: string;
  let session: string;

  before(async () => {
    clock = new ManualClock(Date.now());
    fx = await startDemoServer({ clock });
    // Long-lived tokens: the manual clock moves hours ahead during these tests.
    sam = await fx.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent', ttlSeconds: 86_400 });
    fin = await fx.token({ sub: 'fin', tenant: 'acme', roles: ['finance-lead'], ttlSeconds: 86_400 });
    olga = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'], ttlSeconds: 86_400 });
    session = (await fx.post('/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, sam)).body.session_id as string;
  });
  after(() => fx.close());

  async function auditEvents(): Promise<AuditEvent[]> {
    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    try {
      return await log.read();
    } finally {
      await log.close();
    }
  }

  const call = (tool: string, args: Json) => fx.post('/v1/tool-calls', { session_id: session, tool, arguments: args }, sam);

  test('an approval token presented after its expiry is refused with approval.expired, and nothing runs', async () => {
    const args = { customer_id: 'cus_acme_grace', amount: 250 };
    const held = await call('billing.refund', args);
    assert.equal(held.status, 202);
    const id = held.body.approval_id as string;
    assert.equal((await fx.post(`/v1/approvals/${id}/approve`, { justification: 'ledger checked' }, fin)).status, 200);
    const token = (await fx.get(`/v1/approvals/${id}`, sam)).body.approval_token as string;
    recordSecret('approval token', token, ['http']);
    assert.match(token, /^eyJ/);

    clock.advance(16 * 60_000); // past the 15-minute approval lifetime
    const late = await fx.post('/v1/tool-calls', { session_id: session, tool: 'billing.refund', arguments: args, approval_token: token }, sam);
    assert.equal(late.status, 403, JSON.stringify(late.body));
    assert.equal((late.body.decision as Json).code, 'approval.expired');
    assert.equal(fx.desk.refunds.length, 0);
  });

  test('an override without a justification is refused and leaves no trace in the register', async () => {
    for (const justification of [undefined, '', '   ', 'line\nbreak']) {
      const res = await fx.post('/v1/overrides', { scope: { kind: 'tool', tool: 'crm.exportCustomers', tenant: 'acme' }, ...(justification === undefined ? {} : { justification }) }, olga);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal((res.body.error as Json).code, 'ERR_OVERRIDE_JUSTIFICATION_INVALID');
    }
    const register = await fx.get('/v1/overrides', olga);
    assert.equal(register.status, 200);
    assert.deepEqual(register.body.overrides, []);
    assert.equal((await auditEvents()).filter((e) => e.type === 'override.created').length, 0);
  });

  test('only a human holding the override role may break the glass, and only in their own tenant', async () => {
    const scope = { kind: 'tool', tool: 'crm.exportCustomers', tenant: 'acme' };
    const refusals: Array<[string, string, Json, string]> = [
      ['support user', sam, scope, 'ERR_OVERRIDE_AGENT_FORBIDDEN'],
      ['finance lead without the role', fin, scope, 'ERR_OVERRIDE_ROLE_REQUIRED'],
      ['agent token with the role', await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'], agent: 'ops-bot', ttlSeconds: 86_400 }), scope, 'ERR_OVERRIDE_AGENT_FORBIDDEN'],
      ['another tenant', olga, { ...scope, tenant: 'globex' }, 'ERR_OVERRIDE_TENANT_MISMATCH'],
    ];
    for (const [who, token, s, code] of refusals) {
      const res = await fx.post('/v1/overrides', { scope: s, justification: 'incident 7' }, token);
      assert.equal(res.status, 403, `${who}: ${JSON.stringify(res.body)}`);
      assert.equal((res.body.error as Json).code, code, who);
    }
  });

  test('an action-hash override lets exactly that action through, is counted, recorded with its owner, and expires', async () => {
    const denied = await call('crm.exportCustomers', {});
    assert.equal(denied.status, 403);
    const hash = (denied.body.decision as Json).action_hash as string;
    assert.match(hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(fx.invocations.get('crm.exportCustomers') ?? 0, 0);

    const createdAt = clock.now();
    const created = await fx.post(
      '/v1/overrides',
      { scope: { kind: 'action', action_hash: hash, tenant: 'acme' }, justification: 'regulator request #881, export approved by CISO', ttl_seconds: 600 },
      olga,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const override = created.body.override as Json;
    assert.equal((override.owner as Json).user, 'olga');
    assert.equal(override.created_at, createdAt);
    assert.equal(override.expires_at, createdAt + 600_000);

    const through = await call('crm.exportCustomers', {});
    assert.equal(through.status, 200, JSON.stringify(through.body));
    const decision = through.body.decision as Json;
    assert.equal(decision.code, 'override.granted');
    assert.equal(decision.override_id, override.id);
    assert.ok((decision.reasons as Json[]).some((r) => r.policy_id === 'support-no-bulk-export'), 'the overridden policy stays on the record');
    assert.equal(fx.invocations.get('crm.exportCustomers'), 1);

    // The same tool for another principal has another action hash: not covered.
    const otherAgent = await fx.token({ sub: 'sue', tenant: 'acme', roles: ['support'], agent: 'support-agent', ttlSeconds: 86_400 });
    const other = await fx.post('/v1/tool-calls', { tool: 'crm.exportCustomers', arguments: {} }, otherAgent);
    assert.equal(other.status, 403);

    clock.advance(60_000);
    const register = (await fx.get('/v1/overrides', olga)).body;
    assert.equal(register.open, 1);
    assert.equal(register.median_age_seconds, 60);
    assert.equal(((register.overrides as Json[])[0] as Json).uses, 1);
    assert.deepEqual((await fx.get('/v1/overrides', await fx.token({ sub: 'gus', tenant: 'globex', roles: ['security-admin'], ttlSeconds: 86_400 }))).body.overrides, []);

    clock.advance(10 * 60_000);
    const expired = await call('crm.exportCustomers', {});
    assert.equal(expired.status, 403, 'an expired override covers nothing');
    assert.equal(fx.invocations.get('crm.exportCustomers'), 1);
    assert.equal((await fx.get('/v1/overrides', olga)).body.open, 0);

    const events = (await auditEvents()).filter((e) => (e.data as Json | undefined)?.override_id === override.id);
    const types = events.map((e) => e.type);
    assert.deepEqual(types, ['override.created', 'override.used', 'override.expired']);
    const createdEvent = events[0] as AuditEvent;
    assert.equal(createdEvent.actor.user, 'olga');
    assert.equal((createdEvent.data as Json).justification, 'regulator request #881, export approved by CISO');
    assert.equal((createdEvent.data as Json).at, new Date(createdAt).toISOString());
    const all = await auditEvents();
    const intent = all.find((e) => e.type === 'intent' && e.request_id === through.body.request_id);
    assert.ok(intent, 'the intent event of the overridden call');
    assert.equal((intent.decision as Json).override_id, override.id, 'the call that used it names it');
  });

  test('a tool override lifts holds but never a gateway-enforced refusal, and revocation ends it', async () => {
    const created = await fx.post('/v1/overrides', { scope: { kind: 'tool', tool: 'email.send', tenant: 'acme' }, justification: 'mail relay incident, support lead unreachable' }, olga);
    assert.equal(created.status, 201);
    const id = (created.body.override as Json).id as string;

    const mail = { to: 'partner@elsewhere.example', subject: 'status', body: 'all systems nominal' };
    const sent = await call('email.send', mail);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(fx.desk.outbox.length, 1);

    const malformed = await call('email.send', { ...mail, bcc: 'everyone@elsewhere.example' });
    assert.equal(malformed.status, 403, 'schema validation is not a policy decision: no override lifts it');
    assert.equal((malformed.body.decision as Json).code, 'validate.schema');

    const foreign = await fx.post('/v1/overrides/' + id + '/revoke', { justification: 'not yours' }, await fx.token({ sub: 'gus', tenant: 'globex', roles: ['security-admin'], ttlSeconds: 86_400 }));
    assert.equal(foreign.status, 404);
    assert.equal((await fx.post(`/v1/overrides/${id}/revoke`, {}, olga)).status, 400, 'revoking needs a justification too');
    const revoked = await fx.post(`/v1/overrides/${id}/revoke`, { justification: 'relay restored' }, olga);
    assert.equal(revoked.status, 200);
    assert.equal((revoked.body.override as Json).revoke_justification, 'relay restored');
    assert.equal((await fx.post(`/v1/overrides/${id}/revoke`, { justification: 'again' }, olga)).status, 409);

    const held = await call('email.send', mail);
    assert.equal(held.status, 202, 'after revocation the policy holds the call again');
    assert.equal(fx.desk.outbox.length, 1);
  });

  test('a tool override never crosses the tenant boundary', async () => {
    await fx.post('/v1/overrides', { scope: { kind: 'tool', tool: 'crm.getCustomer', tenant: 'acme' }, justification: 'CRM incident' }, olga);
    const cross = await call('crm.getCustomer', { customer_id: 'cus_globex_hank' });
    assert.equal(cross.status, 403);
    assert.equal((cross.body.decision as Json).code, 'scope.tenant_mismatch');
  });
});
