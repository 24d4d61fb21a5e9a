/**
 * Egress through the whole pipeline: policies see the destination host
 * (`context.tool_call.destination`), an allowed call's result event records its hops and
 * bytes per destination, and a call to a destination off the allowlist fails with the
 * reason and rule in the answer and in the result event — without reaching the server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuditEvent, ToolDefinition } from '../../src/core/types.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { DemoFixture } from '../support/demo.ts';
import { demoBundleWith, inventoryTool, startDemo } from '../support/demo.ts';

const POLICY = `
@id("support-inventory")
@reason("support may look up stock")
permit (principal, action in [Airlock::Action::"inventory.lookup", Airlock::Action::"inventory.mirror", Airlock::Action::"inventory.unlisted"], resource)
when { principal.roles.contains("support") };

@id("no-mirror-host")
@reason("the mirror host is not trusted")
forbid (principal, action, resource)
when { context.tool_call.destination == "127.0.0.2" };
`;

describe('egress through the pipeline', () => {
  let fx: DemoFixture;
  const servers: Array<{ server: Server; connections: number; port: number }> = [];

  async function serve(host: string) {
    const entry = { server: createServer((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ in_stock: 7, pad: 'x'.repeat(300) }))), connections: 0, port: 0 };
    entry.server.on('connection', () => entry.connections++);
    entry.server.listen(0, host);
    await once(entry.server, 'listening');
    entry.port = (entry.server.address() as AddressInfo).port;
    servers.push(entry);
    return entry;
  }

  before(async () => {
    const main = await serve('127.0.0.1');
    const mirror = await serve('127.0.0.2');
    const unlisted = await serve('127.0.0.1');
    const rename = (tool: ToolDefinition, name: string): ToolDefinition => ({ ...tool, name });
    const lookup = inventoryTool(`http://127.0.0.1:${main.port}`);
    const mirrorTool = rename(inventoryTool(`http://127.0.0.2:${mirror.port}`), 'inventory.mirror');
    const base = inventoryTool(`http://127.0.0.1:${unlisted.port}`);
    // Its own allowlist names only the main server: the unlisted port is off it.
    const unlistedTool: ToolDefinition = { ...base, name: 'inventory.unlisted', connector: { ...base.connector, egress: [{ id: 'main-only', host: '127.0.0.1', ports: [main.port], schemes: ['http'] }] } as ToolDefinition['connector'] };
    fx = await startDemo({ configure: (c) => ({ ...c, tools: [...c.tools, lookup, mirrorTool, unlistedTool], policy: { ...c.policy, bundleDir: demoBundleWith({ 'inventory.cedar': POLICY }) } }) });
  });
  after(async () => {
    await fx?.close();
    for (const s of servers) s.server.close();
  });

  async function call(tool: string) {
    return fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool, arguments: { sku: 'A-1' } });
  }

  async function events(actionId: string): Promise<AuditEvent[]> {
    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    try {
      return (await log.read()).filter((e) => e.action_id === actionId);
    } finally {
      await log.close();
    }
  }

  test('an allowed call: the result event records the hop, the rule and the bytes per destination', async () => {
    const result = await call('inventory.lookup');
    assert.equal(result.status, 'executed', JSON.stringify(result));
    const event = (await events(result.action_id)).find((e) => e.type === 'result');
    const egress = (event?.data as { egress?: { hops: Array<Record<string, unknown>>; bytes: Record<string, { bytes_out: number; bytes_in: number }> } }).egress;
    assert.ok(egress, JSON.stringify(event?.data));
    const destination = `http://127.0.0.1:${servers[0]?.port}`;
    assert.deepEqual(egress.hops.map((h) => [h.destination, h.allowed, h.rule, h.address, h.status]), [[destination, true, 'inventory-upstream', '127.0.0.1', 200]]);
    assert.ok((egress.bytes[destination]?.bytes_out ?? 0) > 50);
    assert.ok((egress.bytes[destination]?.bytes_in ?? 0) > 300);
  });

  test('policies see the destination host: a forbid on it denies before anything is sent', async () => {
    const result = await call('inventory.mirror');
    assert.equal(result.status, 'denied', JSON.stringify(result));
    assert.ok(result.decision.reasons.some((r) => r.policy_id === 'no-mirror-host'), JSON.stringify(result.decision.reasons));
    assert.equal(servers[1]?.connections, 0);
  });

  test('a destination off the allowlist: refused with reason and rule, recorded, and the server never reached', async () => {
    const result = await call('inventory.unlisted');
    assert.equal(result.status, 'failed', JSON.stringify(result));
    assert.equal((result as { error?: { code: string } }).error?.code, 'ERR_EGRESS_DENIED');
    const event = (await events(result.action_id)).find((e) => e.type === 'result');
    assert.equal(event?.result_code, 'ERR_EGRESS_DENIED');
    const hops = (event?.data as { egress: { hops: Array<Record<string, unknown>> } }).egress.hops;
    assert.deepEqual(hops.map((h) => [h.allowed, h.reason, h.rule, h.bytes_out]), [[false, 'egress.not_allowlisted', 'builtin.egress_allowlist', 0]]);
    assert.equal(servers[2]?.connections, 0);
  });
});
