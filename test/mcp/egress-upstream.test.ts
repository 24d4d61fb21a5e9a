/**
 * An MCP upstream over streamable HTTP behind the gateway: reached only through its egress
 * allowlist, each tool call's result event records the hop with its bytes, and policies see
 * the upstream's host as the destination. Without an allowlist entry the upstream is never
 * connected to.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { NODE, SERVERS, mcpTestEnv } from './support.ts';

const POLICIES = {
  'all.cedar': `@id("conformance-all")
permit (principal, action, resource) when { principal.roles.contains("conformance") };

@id("no-such-destination")
forbid (principal, action, resource) when { context.tool_call.destination == "mcp.elsewhere.example" };`,
};

describe('an MCP upstream over HTTP and egress', () => {
  let child: ChildProcess;
  let url = '';

  before(async () => {
    child = spawn(NODE, [SERVERS.conformance, '--http', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    for await (const line of createInterface({ input: child.stdout! })) {
      if (line.startsWith('{"port"')) {
        url = `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/mcp`;
        break;
      }
    }
  });
  after(() => child.kill());

  it('records each call\'s hop and bytes in its result event', async () => {
    const port = Number(new URL(url).port);
    const env = await mcpTestEnv({
      mcp: { upstreams: [{ prefix: 'conf', url, approval: 'first_use', side_effect: 'read', egress: [{ id: 'conformance-upstream', host: '127.0.0.1', ports: [port], schemes: ['http'] }] }] },
      policies: POLICIES,
    });
    const { gateway } = await createMcpGateway(env.config);
    let actionId = '';
    try {
      const token = await env.token({ sub: 'conf', roles: ['conformance'] });
      const result = await gateway.execute({ token, tool: 'conf.test_simple_text', arguments: {} });
      assert.equal(result.status, 'executed', JSON.stringify(result));
      actionId = result.action_id;
    } finally {
      await gateway.close();
    }
    const log = SqliteAuditStore.open(env.config.audit.type === 'sqlite' ? env.config.audit.path : '', { readOnly: true });
    try {
      const event = (await log.read()).find((e) => e.type === 'result' && e.action_id === actionId);
      const egress = (event?.data as { egress?: { hops: Array<Record<string, unknown>>; bytes: Record<string, { bytes_out: number; bytes_in: number }> } }).egress;
      assert.ok(egress, JSON.stringify(event?.data));
      assert.deepEqual(egress.hops.map((h) => [h.destination, h.allowed, h.status]), [[`http://127.0.0.1:${port}`, true, 200]]);
      assert.ok((egress.bytes[`http://127.0.0.1:${port}`]?.bytes_out ?? 0) > 100);
      assert.ok((egress.bytes[`http://127.0.0.1:${port}`]?.bytes_in ?? 0) > 20);
    } finally {
      await log.close();
    }
  });

  it('without an allowlist entry the upstream is refused and its tools are not served', async () => {
    const env = await mcpTestEnv({ mcp: { upstreams: [{ prefix: 'conf', url, approval: 'first_use', side_effect: 'read' }] }, policies: POLICIES, state: 'memory' });
    const { gateway, hub } = await createMcpGateway(env.config);
    try {
      const token = await env.token({ sub: 'conf', roles: ['conformance'] });
      const result = await gateway.execute({ token, tool: 'conf.test_simple_text', arguments: {} });
      assert.notEqual(result.status, 'executed');
      const status = hub.status().find((s) => s.prefix === 'conf');
      assert.match(JSON.stringify(status), /egress allowlist/);
    } finally {
      await gateway.close();
    }
  });
});
