/**
 * The demo's HTTP upstream (the billing ledger) behind the gateway: it answers only calls
 * carrying the just-in-time credential the gateway minted for that call, checked with the
 * verifier middleware Airlock ships — never a bare request, a forged or replayed credential,
 * or one revoked by a security admin. The agent gets the invoices, never the credential.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { writeDemoConfig } from '../../scripts/demo-config.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Gateway } from '../../src/pipeline/index.ts';
import { createGateway, loadToolkit, mintToken } from '../../src/pipeline/index.ts';
import { startLedgerService } from '../../examples/support-desk/ledger-service.ts';
import type { LedgerService } from '../../examples/support-desk/ledger-service.ts';
import type { AirlockConfig } from '../../src/config/types.ts';
import { recordDatabase, recordKeyFiles, recordSecret } from '../support/leak-scan.ts';

describe('demo billing ledger (HTTP upstream with the credential verifier)', () => {
  let ledger: LedgerService;
  let gateway: Gateway;
  let config: AirlockConfig;
  let sam: string;
  let session: string;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-ledger-'));
    const base = await loadConfig(writeDemoConfig(dir));
    ledger = await startLedgerService(base, { listen: { host: '127.0.0.1', port: 0 } });
    const host = new URL(ledger.url).host;
    config = {
      ...base,
      tools: base.tools.map((t) =>
        t.name === 'billing.getInvoices' && t.connector.type === 'http' ? { ...t, connector: { ...t.connector, url: `${ledger.url}/customers/{customer_id}/invoices` } } : t,
      ),
      // The ledger listens on another port here: the allowlist names that one instead.
      egress: { maxRedirects: 0, allow: [{ id: 'billing-ledger', host: '127.0.0.1', ports: [Number(new URL(ledger.url).port)], schemes: ['http'] }] },
    };
    assert.ok(config.tools.some((t) => t.connector.type === 'http' && t.connector.url.includes(host)));
    gateway = await createGateway(config, await loadToolkit(config));
    sam = await mintToken(config, { sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent', ttlSeconds: 600 });
    recordSecret('bearer token', sam);
    if (config.audit.type === 'sqlite') recordDatabase(config.audit.path);
    if (config.state.type === 'sqlite') recordDatabase(config.state.path);
    session = (await gateway.createSession(sam, { customer_id: 'cus_acme_ada' })).session_id;
  });
  after(async () => {
    await gateway.close();
    await ledger.close();
    recordKeyFiles(dir);
  });

  test('an allowed call reaches the ledger with its credential; the agent sees only the invoices', async () => {
    const result = await gateway.execute({ token: sam, tool: 'billing.getInvoices', arguments: { customer_id: 'cus_acme_ada' }, session_id: session });
    assert.equal(result.status, 'executed', JSON.stringify(result));
    const invoices = (result.status === 'executed' ? result.result : null) as { invoices: Array<{ invoice_id: string }> };
    assert.equal(invoices.invoices.length, 3);
    assert.equal(invoices.invoices[0]?.invoice_id, 'inv_acme_ada_1');
    assert.equal(result.decision.obligations.credentialScope, 'billing.invoices.read');
    assert.ok(!/eyJ[\w-]+\.[\w-]+\.[\w-]+/.test(JSON.stringify(result)), 'no token in what the agent gets back');
  });

  test('the ledger refuses a bare request and a credential it did not get from the gateway', async () => {
    const bare = await fetch(`${ledger.url}/customers/cus_acme_ada/invoices`);
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_MISSING');
    const forged = await new SignJWT({ tenant: 'acme', scope: 'billing.invoices.read', ah: 'sha256:00' })
      .setProtectedHeader({ alg: 'HS256', typ: 'airlock-cred+jwt' })
      .setIssuer('airlock')
      .setAudience(new URL(ledger.url).host)
      .setSubject('sam')
      .setJti('forged-1')
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(new TextEncoder().encode('not-the-gateway-key-not-the-gateway-key'));
    const refused = await fetch(`${ledger.url}/customers/cus_acme_ada/invoices`, { headers: { 'x-airlock-credential': forged } });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_SIGNATURE');
  });

  test('a credential presented twice, or revoked by a security admin, is refused by the ledger', async () => {
    // Decision-point mode hands the credential to the calling runtime, which presents it itself.
    const call = { token: sam, tool: 'billing.getInvoices', arguments: { customer_id: 'cus_acme_ada' }, session_id: session };
    const present = (credential: string) => fetch(`${ledger.url}/customers/cus_acme_ada/invoices`, { headers: { 'x-airlock-credential': credential } });
    const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

    const first = (await gateway.decide(call)).credential;
    assert.ok(first !== undefined);
    recordSecret('credential (decision-point mode)', first.token);
    assert.equal((await present(first.token)).status, 200);
    const replay = await present(first.token);
    assert.equal(replay.status, 401);
    assert.equal(await codeOf(replay), 'ERR_CREDENTIAL_REPLAYED');

    const second = (await gateway.decide(call)).credential;
    assert.ok(second !== undefined);
    const admin = await mintToken(config, { sub: 'olga', tenant: 'acme', roles: ['security-admin'], ttlSeconds: 600 });
    await gateway.revokeCredentials(admin, { jti: second.jti });
    recordSecret('credential (decision-point mode)', second.token);
    const revoked = await present(second.token);
    assert.equal(revoked.status, 401, 'the ledger reads the gateway revocation table');
    assert.equal(await codeOf(revoked), 'ERR_CREDENTIAL_REVOKED');
  });

  test('a credential used once stays used after the ledger restarts (the replay guard is in the state database)', async () => {
    const call = { token: sam, tool: 'billing.getInvoices', arguments: { customer_id: 'cus_acme_ada' }, session_id: session };
    const credential = (await gateway.decide(call)).credential;
    assert.ok(credential !== undefined);
    recordSecret('credential (decision-point mode)', credential.token);
    const headers = { 'x-airlock-credential': credential.token };
    assert.equal((await fetch(`${ledger.url}/customers/cus_acme_ada/invoices`, { headers })).status, 200);
    // The same upstream restarted (same audience: the host the tool's URL names).
    const base = await loadConfig(writeDemoConfig(dir));
    const restarted = await startLedgerService(base, { listen: { host: '127.0.0.1', port: 0 }, audience: new URL(ledger.url).host });
    try {
      const replay = await fetch(`${restarted.url}/customers/cus_acme_ada/invoices`, { headers });
      assert.equal(replay.status, 401);
      assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_REPLAYED');
    } finally {
      await restarted.close();
    }
  });

  test('decision-point mode: a credential minted for cus_acme_ada is refused on cus_acme_grace\'s invoices, accepted on ada\'s', async () => {
    const decided = await gateway.decide({ token: sam, tool: 'billing.getInvoices', arguments: { customer_id: 'cus_acme_ada' }, session_id: session });
    assert.equal(decided.outcome, 'allow');
    const credential = decided.credential;
    assert.ok(credential !== undefined);
    recordSecret('credential (decision-point mode)', credential.token);
    const present = (customer: string) =>
      fetch(`${ledger.url}/customers/${customer}/invoices`, { headers: { 'x-airlock-credential': credential.token } });

    const elsewhere = await present('cus_acme_grace');
    assert.equal(elsewhere.status, 403);
    const refusal = await elsewhere.text();
    assert.deepEqual(JSON.parse(refusal), {
      error: { code: 'ERR_CREDENTIAL_TARGET_MISMATCH', message: 'credential was minted for another target resource', reason: 'resource' },
    });
    assert.ok(!refusal.includes(credential.token) && !refusal.includes('cus_acme_ada'), 'the refusal names no token or claim value');
    const invoicePath = await fetch(`${ledger.url}/customers/cus_acme_ada/invoices/inv_acme_ada_1`, { headers: { 'x-airlock-credential': credential.token } });
    assert.equal(invoicePath.status, 403, 'a path that names no bindable target is refused');

    // The refusals did not use the one-time credential up: on its own target it still passes, once.
    const own = await present('cus_acme_ada');
    assert.equal(own.status, 200);
    assert.equal(((await own.json()) as { customer_id: string }).customer_id, 'cus_acme_ada');
  });

  test('gateway mode: the connector\'s credential is bound to the customer in the arguments, and still passes', async () => {
    for (const customer of ['cus_acme_grace', 'cus_acme_ada']) {
      const session_id = (await gateway.createSession(sam, { customer_id: customer })).session_id;
      const result = await gateway.execute({ token: sam, tool: 'billing.getInvoices', arguments: { customer_id: customer }, session_id });
      assert.equal(result.status, 'executed', JSON.stringify(result));
      assert.equal((result.status === 'executed' ? (result.result as { customer_id: string }) : null)?.customer_id, customer);
    }
  });
});
