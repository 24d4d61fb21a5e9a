/**
 * Runtime kill switches over HTTP: an operator engages a switch, the next call of its scope
 * is refused with the reason code and the switch id (recorded), other calls pass, the
 * release lets the scope through again; both changes are audited with the operator and the
 * justification; every scope (tenant, tool, agent, session) revokes the credentials in flight
 * it covers, and no other; roles and tenants are enforced.
 */
import { after, before, describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { openDurableSqlite } from '../../src/stores/sqlite/open.ts';
import type { AuditEvent } from '../../src/core/types.ts';
import { createCredentialVerifier } from '../../src/credentials/index.ts';
import { SqliteRevocationStore } from '../../src/stores/sqlite/index.ts';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

type Json = Record<string, unknown>;

type Credential = { token: string; jti: string; audience: string };

describe('runtime kill switches over HTTP', () => {
  // The gateway's clock moves only when a test moves it, so "issued at or before the
  // revocation" is not left to the wall clock (each test starts a second after the last).
  const clock = new ManualClock(Date.now());
  let fx: HttpFixture;
  let olga: string;
  let session: string;
  let key: Uint8Array;
  let closeRevocations: () => void;
  let revocations: SqliteRevocationStore;

  before(async () => {
    fx = await startDemoServer({ clock });
    olga = await fx.token({ sub: 'olga', tenant: 'acme', roles: ['security-admin'] });
    session = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    // The demo's credential key: the default key file beside the state database.
    key = new TextEncoder().encode(readFileSync(join(fx.dir, 'credential-signing.key'), 'utf8').trim());
    // The gateway's revocation store (its state database), as an upstream sharing it reads it.
    const db = openDurableSqlite(fx.config.state.type === 'sqlite' ? fx.config.state.path : '', { area: 'STATE' });
    revocations = new SqliteRevocationStore(db);
    closeRevocations = () => db.close();
  });
  after(async () => {
    closeRevocations?.();
    await fx.close();
  });

  /** A credential minted in decision-point mode (handed to the calling runtime) for the call. */
  async function mint(token: string, sessionId: string, tool: string, customer: string): Promise<Credential> {
    const decided = await fx.post('/v1/decide', { session_id: sessionId, tool, arguments: { customer_id: customer } }, token);
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    const credential = decided.body.credential as Credential | undefined;
    assert.ok(credential !== undefined, `a credential for ${tool}: ${JSON.stringify(decided.body.decision)}`);
    // Decision-point mode hands it to the runtime in the /v1/decide answer (HTTP); it must
    // still never reach a log line or a database row.
    recordSecret('credential (decision-point mode)', credential.token, ['http']);
    return credential;
  }

  /** What an upstream reading the gateway's revocations answers: 'accepted' or the refusal code. */
  async function verdict(credential: Credential): Promise<string> {
    const verifier = createCredentialVerifier({ key, issuer: fx.config.credentials.issuer, audience: credential.audience, revocations, clock });
    return verifier.verify(credential.token).then(
      () => 'accepted',
      (err: { code: string }) => err.code,
    );
  }

  async function engage(body: Json, who = olga): Promise<{ id: string; credentials: unknown }> {
    const engaged = await fx.post('/v1/admin/kill-switches', body, who);
    assert.equal(engaged.status, 201, JSON.stringify(engaged.body));
    const id = (engaged.body.kill_switch as Json).id as string;
    const event = (await auditEvents()).find((e) => e.type === 'killswitch.engaged' && (e.data as Json).kill_switch_id === id);
    return { id, credentials: (event?.data as Json | undefined)?.credentials };
  }

  async function release(id: string, who = olga): Promise<void> {
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'contained' }, who)).status, 200);
  }

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
    assert.deepEqual(data.credentials, { revoked: ['tool:crm.getCustomer'], not_covered: null });
    assert.equal((releasedEvent.data as Json).release_justification, 'leak fixed');
    assert.equal(releasedEvent.actor.user, 'olga');
    const recorded = events.filter((e) => !e.type.startsWith('killswitch.') && JSON.stringify(e).includes(ks.id as string));
    assert.ok(recorded.some((e) => JSON.stringify(e).includes('screen.kill_switch')), 'the refusal is recorded with the switch id');
  });

  test('a tool switch revokes the credentials minted for that tool, not those of another tool', async () => {
    clock.advance(1_000);
    const invoices = await mint(fx.tokens.sam, session, 'billing.getInvoices', 'cus_acme_ada');
    const customer = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    assert.deepEqual([await verdict(invoices), await verdict(customer)], ['accepted', 'accepted']);
    const { id, credentials } = await engage({ scope: 'tool', target: 'billing.getInvoices', justification: 'ledger credentials leaked' });
    assert.deepEqual(credentials, { revoked: ['tool:billing.getInvoices'], not_covered: null });
    assert.equal(await verdict(invoices), 'ERR_CREDENTIAL_REVOKED');
    assert.equal(await verdict(customer), 'accepted');
    await release(id);
  });

  test('an agent switch revokes the credentials its agent acts with, not another agent\'s nor another tenant\'s', async () => {
    clock.advance(1_000);
    const researcher = await fx.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'research-agent' });
    const own = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    const other = await mint(researcher, await fx.session(researcher, { customer_id: 'cus_acme_ada' }), 'crm.getCustomer', 'cus_acme_ada');
    const globex = await mint(fx.tokens.globexAgent, await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_hank' }), 'crm.getCustomer', 'cus_globex_hank');
    const { id, credentials } = await engage({ scope: 'agent', target: 'support-agent', justification: 'agent prompt-injected' });
    assert.deepEqual(credentials, { revoked: ['agent:support-agent'], not_covered: null });
    assert.equal(await verdict(own), 'ERR_CREDENTIAL_REVOKED');
    assert.equal(await verdict(other), 'accepted', 'another agent');
    assert.equal(await verdict(globex), 'accepted', "the same agent id in another tenant: acme's switch is confined to acme");
    await release(id);
  });

  test('a session switch revokes the credentials minted for calls in that session (sid), not another session\'s', async () => {
    clock.advance(1_000);
    const other = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    const inSession = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    const inOther = await mint(fx.tokens.sam, other, 'crm.getCustomer', 'cus_acme_ada');
    const claims = await createCredentialVerifier({ key, issuer: fx.config.credentials.issuer, audience: inSession.audience, clock }).verify(inSession.token);
    assert.equal(claims.sid, session, 'the credential names its session');
    const { id, credentials } = await engage({ scope: 'session', target: session, justification: 'session hijacked' });
    assert.deepEqual(credentials, { revoked: [`session:${session}`], not_covered: null });
    assert.equal(await verdict(inSession), 'ERR_CREDENTIAL_REVOKED');
    assert.equal(await verdict(inOther), 'accepted');
    await release(id);
  });

  test('a tenant switch refuses the whole tenant and revokes its credentials in flight', async () => {
    clock.advance(1_000);
    const acme = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    const globex = await mint(fx.tokens.globexAgent, await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_hank' }), 'crm.getCustomer', 'cus_globex_hank');
    const engaged = await fx.post('/v1/admin/kill-switches', { scope: 'tenant', target: 'acme', justification: 'tenant compromised' }, olga);
    assert.equal(engaged.status, 201, JSON.stringify(engaged.body));
    const id = (engaged.body.kill_switch as Json).id as string;
    const refused = await lookup();
    assert.equal((refused.body.decision as Json).kill_switch_id, id);
    const event = (await auditEvents()).find((e) => e.type === 'killswitch.engaged' && (e.data as Json).kill_switch_id === id);
    assert.deepEqual((event?.data as Json).credentials, { revoked: ['tenant:acme'], not_covered: null });
    assert.equal(await verdict(acme), 'ERR_CREDENTIAL_REVOKED');
    assert.equal(await verdict(globex), 'accepted');
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'contained' }, olga)).status, 200);
  });

  test("the revocation API: by connector, tool, agent or session, confined to the operator's tenant", async () => {
    const revoke = (body: Json, who = olga) => fx.post('/v1/credentials/revoke', body, who);
    clock.advance(1_000);
    const acme = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    const globex = await mint(fx.tokens.globexAgent, await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_hank' }), 'crm.getCustomer', 'cus_globex_hank');
    assert.equal(acme.audience, globex.audience, 'one connector both tenants use');
    assert.equal((await revoke({ connector: acme.audience })).status, 200);
    assert.equal(await verdict(acme), 'ERR_CREDENTIAL_REVOKED');
    assert.equal(await verdict(globex), 'accepted', "acme's operator cannot revoke globex's credentials for a shared connector");

    for (const [body, scoped] of [
      [{ tool: 'billing.getInvoices' }, 'billing.getInvoices'],
      [{ agent: 'support-agent' }, 'any'],
      [{ session }, 'any'],
    ] as const) {
      clock.advance(1_000);
      const hit = await mint(fx.tokens.sam, session, scoped === 'any' ? 'crm.getCustomer' : scoped, 'cus_acme_ada');
      const other = await mint(fx.tokens.sam, await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' }), 'crm.getCustomer', 'cus_acme_ada');
      const otherTenant = await mint(fx.tokens.globexAgent, await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_hank' }), 'crm.getCustomer', 'cus_globex_hank');
      const answer = await revoke(body);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(await verdict(hit), 'ERR_CREDENTIAL_REVOKED', JSON.stringify(body));
      // What the revocation does not name stays valid (the other session's call by the same agent is
      // covered by an agent revocation only); another tenant's never is touched.
      assert.equal(await verdict(other), 'agent' in body ? 'ERR_CREDENTIAL_REVOKED' : 'accepted', JSON.stringify(body));
      assert.equal(await verdict(otherTenant), 'accepted', JSON.stringify(body));
    }
    const audited = (await auditEvents()).filter((e) => e.type === 'credential.revoked').map((e) => e.data as Json);
    assert.deepEqual(audited.slice(-4).map((d) => d.kind), ['connector', 'tool', 'agent', 'session']);
    assert.ok(audited.slice(-4).every((d) => d.tenant === 'acme'), 'every revocation recorded as confined to acme');
    assert.equal((await revoke({ tool: 'crm.getCustomer', agent: 'support-agent' })).status, 400, 'exactly one target');
    assert.equal((await revoke({ tool: '' })).status, 400);
    assert.equal((await revoke({ tool: 'crm.getCustomer' }, fx.tokens.sam)).status, 403, 'an agent token cannot revoke');
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
    clock.advance(1_000);
    const acme = await mint(fx.tokens.sam, session, 'crm.getCustomer', 'cus_acme_ada');
    const globex = await mint(fx.tokens.globexAgent, await fx.session(fx.tokens.globexAgent, { customer_id: 'cus_globex_hank' }), 'crm.getCustomer', 'cus_globex_hank');
    const { id, credentials } = await engage({ scope: 'global', justification: 'fleet-wide incident' }, fleet);
    assert.deepEqual(credentials, { revoked: ['global'], not_covered: null });
    assert.deepEqual([await verdict(acme), await verdict(globex)], ['ERR_CREDENTIAL_REVOKED', 'ERR_CREDENTIAL_REVOKED'], 'every tenant');
    assert.equal((await lookup()).status, 403);
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'x' }, olga)).status, 403, 'only the fleet role releases a fleet-wide switch');
    assert.equal((await fx.post(`/v1/admin/kill-switches/${id}/release`, { justification: 'over' }, fleet)).status, 200);
    assert.equal((await lookup()).status, 200);
  });
});
