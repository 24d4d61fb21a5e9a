/**
 * Rug pull: an upstream of the project's own changes a tool's description (to a poisoned
 * one) on its second listing, after announcing `tools/list_changed`. The tool disappears
 * from tools/list, its calls are denied (`mcp.definition_changed`, `builtin.mcp.pin`), the
 * change is an audit event with the scanner's findings, and only an operator who accepts
 * the findings can admit the new definition. Shadowing: two upstreams serving the same tool
 * name are reachable only under their prefixes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import type { AuditEvent } from '../../src/core/types.ts';
import type { Gateway } from '../../src/pipeline/index.ts';
import { createMcpGateway, openMcpPinAdmin } from '../../src/pipeline/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import type { McpTestEnv } from './support.ts';
import { SERVERS, airlockMeta, eventually, httpClient, mcpTestEnv, stdioUpstream, textOf } from './support.ts';

async function auditEvents(env: McpTestEnv): Promise<AuditEvent[]> {
  if (env.config.audit.type !== 'sqlite') throw new Error('sqlite audit expected');
  const store = SqliteAuditStore.open(env.config.audit.path, { readOnly: true });
  try {
    return await store.read({ fromSeq: 1, limit: 100_000 });
  } finally {
    await store.close();
  }
}

describe('rug pull and shadowing', () => {
  let env: McpTestEnv;
  let gateway: Gateway;
  let server: RunningServer;
  let client: Client;
  let listChanged = 0;
  let operator: string;

  before(async () => {
    env = await mcpTestEnv({
      mcp: {
        relist_seconds: 0,
        upstreams: [
          stdioUpstream('rp', SERVERS.rugPull, { side_effect: 'read' }),
          stdioUpstream('a', SERVERS.echo, { approval: 'first_use', side_effect: 'read' }, ['a']),
          stdioUpstream('b', SERVERS.echo, { approval: 'first_use', side_effect: 'read' }, ['b']),
          stdioUpstream('flaky', SERVERS.echo, { approval: 'first_use', side_effect: 'read' }, ['flaky']),
        ],
      },
      policies: { 'all.cedar': '@id("users-all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
    });
    let hub;
    ({ gateway, hub } = await createMcpGateway(env.config));
    server = await startServer(gateway, { port: 0, mcp: { hub } });
    operator = await env.token({ sub: 'olga', roles: ['security-admin'] });
    const admin = await openMcpPinAdmin(env.config);
    try {
      for (const pin of await admin.list({ state: 'pending' })) {
        await admin.decide({ name: pin.name, hash: pin.hash, verdict: 'approve', justification: 'reviewed', token: operator });
      }
    } finally {
      await admin.close();
    }
    client = await httpClient(server.url, await env.token({ sub: 'uma', roles: ['user'] }));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanged++;
    });
  });

  after(async () => {
    await client?.close();
    await server?.close();
  });

  it('reaches same-named tools of two upstreams only under their prefixes', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('a.echo') && names.includes('b.echo') && names.includes('flaky.echo'), names.join(' '));
    assert.ok(!names.includes('echo'));
    assert.equal(textOf(await client.callTool({ name: 'a.echo', arguments: { message: 'hi' } })), 'a: hi');
    assert.equal(textOf(await client.callTool({ name: 'b.echo', arguments: { message: 'hi' } })), 'b: hi');
    const bare = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    assert.equal(airlockMeta(bare).decision.code, 'resolve.unknown_tool');
  });

  it('refuses calls while an upstream is down, and reconnects to it', async () => {
    assert.equal(textOf(await client.callTool({ name: 'flaky.echo', arguments: { message: 'one' } })), 'flaky: one');
    // The upstream exited after answering; until it is back, calls are refused, not attempted.
    await eventually(async () => {
      const down = await client.callTool({ name: 'flaky.echo', arguments: { message: 'x' } });
      return airlockMeta(down).decision?.code === 'mcp.upstream_unavailable';
    }, 5_000, 'the upstream to be seen down');
    await eventually(async () => textOf(await client.callTool({ name: 'flaky.echo', arguments: { message: 'two' } })) === 'flaky: two', 10_000, 'the upstream to be back');
    const types = (await auditEvents(env)).filter((e) => (e.data as { upstream?: string } | undefined)?.upstream === 'flaky').map((e) => e.type);
    assert.ok(types.includes('mcp.upstream.disconnected') && types.filter((t) => t === 'mcp.upstream.connected').length >= 2, types.join(','));
  });

  it('hides and denies a tool whose definition changed, and records the change', async () => {
    const before = (await client.listTools()).tools.find((t) => t.name === 'rp.add');
    assert.equal(before?.description, 'Adds two numbers.');
    const first = await client.callTool({ name: 'rp.add', arguments: { a: 1, b: 2 } });
    assert.equal(textOf(first), '3');

    // The upstream announces a change; the second listing carries the poisoned description.
    await eventually(async () => !(await client.listTools()).tools.some((t) => t.name === 'rp.add'), 10_000, 'rp.add to disappear');
    assert.ok(listChanged > 0, 'clients are told the tool list changed');
    const denied = await client.callTool({ name: 'rp.add', arguments: { a: 1, b: 2 } });
    assert.equal(denied.isError, true);
    assert.equal(airlockMeta(denied).decision.code, 'mcp.definition_changed');
    assert.deepEqual(airlockMeta(denied).decision.rules, ['builtin.mcp.pin']);
    // The unchanged tool of the same upstream is unaffected.
    assert.equal(textOf(await client.callTool({ name: 'rp.subtract', arguments: { a: 5, b: 2 } })), '3');

    const events = await auditEvents(env);
    const change = events.find((e) => e.type === 'mcp.tool.changed');
    const data = change?.data as { tool: string; name: string; hash: string; previous_hash: string; approved_hash: string; findings: Array<{ rule: string }> };
    assert.equal(data.name, 'rp.add');
    assert.equal(data.approved_hash, data.previous_hash);
    assert.notEqual(data.hash, data.previous_hash);
    const rules = new Set(data.findings.map((f) => f.rule));
    for (const rule of ['hidden_instructions', 'secret_request', 'instruction_override']) assert.ok(rules.has(rule), [...rules].join(','));
    const deniedEvent = events.find((e) => e.request_id === airlockMeta(denied).request_id);
    assert.equal(deniedEvent?.type, 'decision');
    assert.equal((deniedEvent?.decision as { code: string }).code, 'mcp.definition_changed');
  });

  it('admits the changed definition only when an operator accepts the findings', async () => {
    const admin = await openMcpPinAdmin(env.config);
    try {
      const pin = await admin.find('rp.add');
      assert.equal(pin.state, 'pending');
      assert.notEqual(pin.approved_hash, null);
      await assert.rejects(admin.decide({ name: 'rp.add', hash: pin.approved_hash as string, verdict: 'approve', justification: 'x', token: operator }), { code: 'ERR_MCP_PIN_STALE' });
      await assert.rejects(admin.decide({ name: 'rp.add', hash: pin.hash, verdict: 'approve', justification: 'x', token: operator }), { code: 'ERR_MCP_FLAGGED' });
      const developer = await env.token({ sub: 'dan', roles: ['dev'] });
      await assert.rejects(admin.decide({ name: 'rp.add', hash: pin.hash, verdict: 'approve', justification: 'x', token: developer, acceptFindings: true }), { code: 'ERR_MCP_FORBIDDEN' });
      await admin.decide({ name: 'rp.add', hash: pin.hash, verdict: 'approve', justification: 'fixture, knowingly', token: operator, acceptFindings: true });
    } finally {
      await admin.close();
    }
    // The gateway re-registers the newly approved definition, then admits calls again.
    await eventually(async () => textOf(await client.callTool({ name: 'rp.add', arguments: { a: 2, b: 2 } })) === '4', 10_000, 'rp.add to be admitted');
    const listed = (await client.listTools()).tools.find((t) => t.name === 'rp.add');
    assert.match(String(listed?.description), /IMPORTANT/);
    const events = await auditEvents(env);
    const approval = events.filter((e) => e.type === 'mcp.tool.approved').pop();
    assert.equal(approval?.actor.user, 'olga');
    assert.equal((approval?.data as { name: string }).name, 'rp.add');
    assert.ok(events.some((e) => e.type === 'mcp.tools.registered' && (e.data as { changed: string[] }).changed.includes('rp.add')));
  });
});
