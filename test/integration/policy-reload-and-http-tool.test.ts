/**
 * A tool behind an HTTP upstream connector, through the whole pipeline; and live policy
 * reload: a new valid bundle takes effect (and is recorded), an invalid one is refused and
 * the active bundle keeps deciding.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { DemoFixture } from '../support/demo.ts';
import { demoBundleWith, inventoryTool, startDemo } from '../support/demo.ts';

const INVENTORY_POLICY = `
@id("support-inventory-lookup")
@reason("support may look up stock")
permit (principal, action == Airlock::Action::"inventory.lookup", resource)
when { principal.roles.contains("support") };
`;

describe('HTTP upstream tool and policy reload', () => {
  let upstream: Server;
  let seen: Array<{ url: string; method: string; headers: Record<string, unknown> }>;
  let fx: DemoFixture;
  let bundle: string;

  before(async () => {
    seen = [];
    upstream = createServer((req, res) => {
      seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ sku: decodeURIComponent((req.url ?? '').split('/').pop() ?? ''), in_stock: 7 }));
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const port = (upstream.address() as AddressInfo).port;
    bundle = demoBundleWith({ 'inventory.cedar': INVENTORY_POLICY });
    const inventory = inventoryTool(`http://127.0.0.1:${port}`);
    fx = await startDemo({ configure: (c) => ({ ...c, tools: [...c.tools, inventory], policy: { ...c.policy, bundleDir: bundle } }) });
  });
  after(async () => {
    await fx.close();
    await new Promise((done) => upstream.close(done));
  });

  test('an allowed call reaches the upstream once, with the argument confined to its path segment', async () => {
    const result = await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: '../admin/rm?all=1' } });
    assert.equal(result.status, 'executed', JSON.stringify(result));
    assert.deepEqual(result.status === 'executed' ? result.result : null, { sku: '../admin/rm?all=1', in_stock: 7 });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.url, '/items/..%2Fadmin%2Frm%3Fall%3D1');
    assert.equal(seen[0]?.headers.authorization, undefined, "the caller's token is never forwarded upstream");
  });

  test('a denied call never reaches the upstream', async () => {
    const result = await fx.gateway.execute({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'A-1' } });
    assert.equal(result.status, 'denied');
    assert.equal(seen.length, 1);
  });

  test('a valid new bundle takes effect on reload and is recorded; an invalid one is refused and the old one stays', async () => {
    const before = fx.gateway.policyVersion();
    writeFileSync(join(bundle, 'inventory.cedar'), INVENTORY_POLICY.replace('contains("support")', 'contains("finance-lead")'));
    const { version } = await fx.gateway.reloadPolicy();
    assert.notEqual(version, before);
    assert.equal((await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'A-1' } })).outcome, 'allow');
    assert.equal((await fx.gateway.decide({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'A-1' } })).outcome, 'deny');

    writeFileSync(join(bundle, 'broken.cedar'), 'permit (principal, action, resource) when { context.no_such_attribute };');
    await assert.rejects(fx.gateway.reloadPolicy(), { code: 'ERR_POLICY_INVALID' });
    assert.equal(fx.gateway.policyVersion(), version, 'the refused bundle did not replace the active one');
    const decided = await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'A-1' } });
    assert.equal(decided.outcome, 'allow');
    assert.equal(decided.policy_version, version);

    assert.equal((await fx.gateway.verifyAudit()).ok, true);
    assert.equal(fx.config.audit.type, 'sqlite');
    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    const policyEvents = (await log.read()).filter((e) => e.type.startsWith('policy.'));
    await log.close();
    assert.deepEqual(
      policyEvents.map((e) => [e.type, e.data]),
      [
        ['policy.loaded', { version, previous: before }],
        ['policy.rejected', { active_version: version, code: 'ERR_POLICY_INVALID' }],
      ],
    );
  });
});
