/**
 * Runtime kill switches over HTTP: an operator engages a switch, the next call of its scope
 * is refused with the reason code and the switch id (recorded), other calls pass, the
 * release lets the scope through again; both changes are audited with the operator and the
 * justification; a tenant switch revokes the tenant's credentials in flight; roles and
 * tenants are enforced.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteAuditStore } from '../../src/audit/index.ts';
import type { AuditEvent } from '../../src/core/types.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

type Json = Record<string, unknown>;

describe('runtime kill switches over HTTP', () => {
  let fx: HttpFixture;
  let olga: string;
  let session: string;

  before(async () => {
    fx = await startDemoServer();
    olga = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    session = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
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

  const lookup = () => fx.post('/v1/tool-calls', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);

  test('engage -> the next call of the scope is refused with the code and switch id; release -> allowed again; both audited', async () => {
    assert.equal((await lookup()).status, 200);
    const engaged = await fx.post('/v1/admin/kill-switches', { scope: 'tool', target: 'crm.getCustomer', justification: 'inc-9: customer data leaking' }, olga);
    assert.equal(engaged.status, 201, JSON.stringify(engaged.body));
    const ks = engaged.body.kill_switch as Json;
    assert.match(ks.id as string, /^ksw_/);
    assert.equal(ks.tenant, 'acme');

    const refused = await lookup();
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    const decision = refused.body.decision as Json;
    assert.equal(decision.code, 'screen.kill_switch');
    assert.equal(decision.kill_switch_id, ks.id);
    assert.equal(decision.decided_by, 'screen');
    assert.equal(fx.invocations.get('crm.getCustomer'), 1, 'the connector ran only for the first call');
    // Another tenant is not covered by acme's switch (it is confined to acme).
    const globexSession = await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_1' });
    const globex = await fx.post('/v1/decide', { session_id: globexSession, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_globex_1' } }, fx.tokens.globexAgent);
    assert.notEqual((globex.body.decision as Json | undefined)?.code, 'screen.kill_switch');

    const listed = await fx.get('/v1/admin/kill-switches?active=true', olga);
    assert.equal(listed.status, 200);
    assert.deepEqual((listed.body.kill_switches as Json[]).map((s) => s.id), [ks.id]);

    const released = await fx.post(`/v1/admin/kill-switches/${ks.id as string}/release`, { justification: 'leak fixed' }, olga);
    assert.equal(released.status, 200, JSON.stringify(released.body));
    assert.equal((released.body.kill_switch as Json).release_justification, 'leak fixed');
    assert.equal((await fx.post(`/v1/admin/kill-switches/${ks.id as string}/release`, { justification: 'again' }, olga)).status, 409);
    assert.equal((await lookup()).status, 200);

    const events = await auditEvents();
    const engagedEvent = events.find((e) => e.type === 'killswitch.engaged');
    const releasedEvent = events.find((e) => e.type === 'killswitch.released');
    assert.ok(engagedEvent !== undefined && releasedEvent !== undefined);
    assert.equal(engagedEvent.actor.user, 'olga');
    const data = engagedEvent.data as Json;
    assert.equal(data.kill_switch_id, ks.id);
    assert.equal(data.justification, 'inc-9: customer data leaking');
    assert.deepEqual(data.credentials, { revoked: [], not_covered: 'tool' });
    assert.equal((releasedEvent.data as Json).release_justification, 'leak fixed');
    assert.equal(releasedEvent.actor.user, 'olga');
    const recorded = events.filter((e) => !e.type.startsWith('killswitch.') && JSON.stringify(e).includes(ks.id as string));
    assert.ok(recorded.some((e) => JSON.stringify(e).includes('screen.kill_switch')), 'the refusal is recorded with the switch id');
  });

  test('a tenant switch refuses the whole tenant and revokes its credentials in flight', async () => {
    const engaged = await fx.post('/v1/admin/kill-switches', { scope: 'tenant', target: 'acme', justification: 'tenant compromised' }, olga);
    assert.equal(engaged.status, 201, JSON.stringify(engaged.body));
    const id = (engaged.body.kill_switch as Json).id as string;
    const refused = await lookup();
    assert.equal((refused.body.decision as Json).kill_switch_id, id);
    const event = (await auditEvents()).find((e) => e.type === 'killswitch.engaged' && (e.data as Json).kill_switch_id === id);
    assert.deepEqual((event?.data as Json).credentials, { revoked: ['tenant:acme'], not_covered: null });
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'contained' }, olga)).status, 200);
  });

  test('only humans with the role, only in their tenant; global needs the fleet role; no justification, no switch', async () => {
    const refusals: Array<[string, Json, number, string]> = [
      [fx.tokens.sam, { scope: 'tool', target: 'crm.getCustomer', justification: 'x' }, 403, 'ERR_KILLSWITCH_AGENT_FORBIDDEN'],
      [fx.tokens.fin, { scope: 'tool', target: 'crm.getCustomer', justification: 'x' }, 403, 'ERR_KILLSWITCH_ROLE_REQUIRED'],
      [olga, { scope: 'tenant', target: 'globex', justification: 'x' }, 403, 'ERR_KILLSWITCH_TENANT_MISMATCH'],
      [olga, { scope: 'global', justification: 'x' }, 403, 'ERR_KILLSWITCH_FLEET_ROLE_REQUIRED'],
      [olga, { scope: 'tool', target: 'crm.getCustomer' }, 400, 'ERR_KILLSWITCH_JUSTIFICATION_INVALID'],
      [olga, { scope: 'nope', target: 'x', justification: 'x' }, 400, 'ERR_KILLSWITCH_SCOPE_INVALID'],
    ];
    for (const [who, body, status, code] of refusals) {
      const res = await fx.post('/v1/admin/kill-switches', body, who);
      assert.equal(res.status, status, JSON.stringify([body, res.body]));
      assert.equal((res.body.error as Json).code, code);
    }
    const fleet = await fx.token({ sub: 'fred', tenant: 'ops', roles: ['fleet-admin'] });
    const global = await fx.post('/v1/admin/kill-switches', { scope: 'global', justification: 'fleet-wide incident' }, fleet);
    assert.equal(global.status, 201);
    const id = (global.body.kill_switch as Json).id as string;
    assert.equal((await lookup()).status, 403);
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'x' }, olga)).status, 403, 'only the fleet role releases a fleet-wide switch');
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'over' }, fleet)).status, 200);
    assert.equal((await lookup()).status, 200);
  });
});
