/**
 * Just-in-time credentials through the pipeline: an allowed call whose policy names a scope
 * gets a credential minted for its connector only (the HTTP upstream verifies audience, scope
 * and action binding); the agent never sees it, the audit log keeps only its jti; decision-point
 * mode hands it to the calling runtime; revocation and replay are refused by the verifier.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { MemoryRevocationStore, argumentsHash, createCredentialVerifier } from '../../src/credentials/index.ts';
import { SqliteRevocationStore } from '../../src/stores/sqlite/index.ts';
import type { RevocationStore } from '../../src/credentials/index.ts';
import { openDurableSqlite } from '../../src/stores/sqlite/open.ts';
import type { DemoFixture } from '../support/demo.ts';
import { demoBundleWith, inventoryTool, startDemo } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

const POLICY = `
@id("support-inventory-lookup")
@credential_scope("inventory.read")
@credential_ttl("30")
permit (principal, action == Airlock::Action::"inventory.lookup", resource)
when { principal.roles.contains("support") };
`;

describe('just-in-time credentials', () => {
  let upstream: Server;
  let received: Array<string | undefined>;
  let fx: DemoFixture;
  let host: string;

  before(async () => {
    received = [];
    upstream = createServer((req, res) => {
      const credential = req.headers['x-airlock-credential'] as string | undefined;
      recordSecret('credential received by an upstream', credential);
      received.push(credential);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ in_stock: 3 }));
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    host = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const bundle = demoBundleWith({ 'inventory.cedar': POLICY });
    const tool = inventoryTool(`http://${host}`);
    fx = await startDemo({ configure: (c) => ({ ...c, tools: [...c.tools, tool], policy: { ...c.policy, bundleDir: bundle } }) });
  });
  after(async () => {
    await fx.close();
    await new Promise((done) => upstream.close(done));
  });

  const verifier = (revocations: RevocationStore = new MemoryRevocationStore(), oneTime = false) =>
    createCredentialVerifier({
      key: new TextEncoder().encode(readFileSync(join(fx.dir, 'credential-signing.key'), 'utf8').trim()),
      issuer: 'airlock',
      audience: host,
      revocations,
      oneTime,
    });

  test('the connector receives a scoped, action-bound credential; the agent and the audit log never see it', async () => {
    const result = await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'A-1' } });
    assert.equal(result.status, 'executed');
    const credential = received.at(-1);
    assert.ok(credential !== undefined && credential.startsWith('eyJ'), 'the upstream got a credential');
    const claims = await verifier().verify(credential, { scope: 'inventory.read' });
    assert.equal(claims.sub, 'sam');
    assert.equal(claims.tenant, 'acme');
    assert.deepEqual(claims.act, { sub: 'support-agent' });
    assert.ok(claims.exp - claims.iat <= 30);
    await assert.rejects(verifier().verify(credential, { scope: 'inventory.write' }), { code: 'ERR_CREDENTIAL_SCOPE' });
    assert.ok(!JSON.stringify(result).includes(credential), 'never returned to the agent');

    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    const events = await log.findRelated(result.request_id);
    await log.close();
    const rows = JSON.stringify(events);
    assert.ok(!rows.includes(credential) && !rows.includes(credential.split('.')[2] ?? '-'), 'never in the audit log');
    const recorded = (events.find((e) => e.type === 'intent')?.decision as { credential: { jti: string; scope: string } }).credential;
    assert.equal(recorded.jti, claims.jti);
    assert.equal(recorded.scope, 'inventory.read');
  });

  test('a credential is bound to its action: another action hash, a revocation or a replay is refused', async () => {
    await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'B-2' } });
    const credential = received.at(-1) as string;
    const claims = await verifier().verify(credential);
    await assert.rejects(verifier().verify(credential, { actionHash: 'sha256:' + '0'.repeat(64) }), { code: 'ERR_CREDENTIAL_ACTION_MISMATCH' });
    const revocations = new MemoryRevocationStore();
    await revocations.revoke({ target: { kind: 'jti', jti: claims.jti }, revokedAt: Date.now(), expiresAt: Date.now() + 60_000 });
    await assert.rejects(verifier(revocations).verify(credential), { code: 'ERR_CREDENTIAL_REVOKED' });
    const once = verifier(new MemoryRevocationStore(), true);
    await once.verify(credential);
    await assert.rejects(once.verify(credential), { code: 'ERR_CREDENTIAL_REPLAYED' });
  });

  test('a credential names its tool, target resource and arguments hash: an upstream bound to another target refuses it', async () => {
    await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'E-5' } });
    const credential = received.at(-1) as string;
    const claims = await verifier().verify(credential, { tool: 'inventory.lookup', resource: { type: 'none', id: null }, arguments: { sku: 'E-5' } });
    assert.equal(claims.tool, 'inventory.lookup');
    assert.equal(claims.argh, argumentsHash('inventory.lookup', { sku: 'E-5' }));
    await assert.rejects(verifier().verify(credential, { tool: 'inventory.lookup', arguments: { sku: 'F-6' } }), {
      code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
      details: { mismatch: 'arguments' },
    });
    await assert.rejects(verifier().verify(credential, { resource: { type: 'Item', id: 'E-5' } }), { code: 'ERR_CREDENTIAL_TARGET_MISMATCH' });

    const decided = await fx.gateway.decide({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'G-7' } });
    assert.ok(decided.credential !== undefined);
    recordSecret('credential (decision-point mode)', decided.credential.token);
    await verifier().verify(decided.credential.token, { tool: 'inventory.lookup', arguments: { sku: 'G-7' } });
    await assert.rejects(verifier().verify(decided.credential.token, { tool: 'inventory.lookup', arguments: { sku: 'A-1' } }), {
      code: 'ERR_CREDENTIAL_ACTION_MISMATCH',
    });
  });

  test('decision-point mode returns the credential to the calling runtime; a deny mints none', async () => {
    const allowed = await fx.gateway.decide({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'C-3' } });
    assert.equal(allowed.outcome, 'allow');
    assert.ok(allowed.credential !== undefined);
    assert.equal((await verifier().verify(allowed.credential.token, { scope: 'inventory.read' })).jti, allowed.credential.jti);
    const denied = await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'C-3' } });
    assert.equal(denied.outcome, 'deny');
    assert.equal(denied.credential, undefined);
  });
  test('revocation by a security admin reaches every verifier that reads the gateway\'s revocation store', async () => {
    await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'D-4' } });
    const credential = received.at(-1) as string;
    const shared = new SqliteRevocationStore(openDurableSqlite(fx.config.state.type === 'sqlite' ? fx.config.state.path : '', { area: 'STATE' }));
    await verifier(shared).verify(credential);
    await assert.rejects(fx.gateway.revokeCredentials(fx.tokens.sam, { user: 'sam' }), { code: 'ERR_CREDENTIAL_FORBIDDEN' });
    const admin = await fx.token({ sub: 'sec', tenant: 'acme', roles: ['security-admin'] });
    await assert.rejects(fx.gateway.revokeCredentials(admin, { tenant: 'globex' }), { code: 'ERR_CREDENTIAL_FORBIDDEN' });
    await new Promise((done) => setTimeout(done, 1100)); // revocation covers credentials issued in earlier seconds
    await fx.gateway.revokeCredentials(admin, { user: 'sam' });
    await assert.rejects(verifier(shared).verify(credential), { code: 'ERR_CREDENTIAL_REVOKED' });
  });
});
