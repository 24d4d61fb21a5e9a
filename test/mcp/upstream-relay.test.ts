/**
 * What the /mcp door relays from an upstream besides the result itself: progress messages
 * reach the caller scrubbed of the secret the gateway authenticates to the upstream with, and
 * the result's `_meta` keeps the upstream's own keys but none in the gateway's `airlock/`
 * namespace (an upstream cannot speak as the gateway).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway } from '../../src/pipeline/index.ts';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { SECRET_MARKER } from '../../src/pipeline/call-secrets.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import { recordSecret } from '../support/leak-scan.ts';
import { SERVERS, airlockMeta, httpClient, mcpTestEnv, stdioUpstream, textOf } from './support.ts';

describe('what the door relays from an upstream', () => {
  const secret = `mcp-relay-key-${randomBytes(24).toString('base64url')}`;
  let gateway: Gateway;
  let server: RunningServer;
  let client: Client;

  before(async () => {
    process.env.AIRLOCK_TEST_MCP_RELAY_KEY = secret;
    recordSecret('mcp relay upstream api key', secret);
    const env = await mcpTestEnv({
      mcp: {
        relist_seconds: 0,
        upstreams: [stdioUpstream('relay', SERVERS.echo, { approval: 'first_use', side_effect: 'read', env: { ECHO_API_KEY: 'env:AIRLOCK_TEST_MCP_RELAY_KEY' } }, ['relay'])],
      },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
      audit: 'memory',
    });
    let hub;
    ({ gateway, hub } = await createMcpGateway(env.config));
    server = await startServer(gateway, { port: 0, mcp: { hub } });
    client = await httpClient(server.url, await env.token({ sub: 'uma', roles: ['user'] }));
  });

  after(async () => {
    await client?.close();
    await server?.close();
    delete process.env.AIRLOCK_TEST_MCP_RELAY_KEY;
  });

  it('relays progress messages without the upstream secret', async () => {
    const seen: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await client.callTool({ name: 'relay.echo', arguments: { message: 'hi' } }, undefined, { onprogress: (p) => seen.push(p) });
    assert.equal(textOf(result), 'relay: hi');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.message, `connecting with key ${SECRET_MARKER}`);
    assert.equal(seen[0]?.progress, 1);
    assert.equal(seen[0]?.total, 2);
    assert.ok(!JSON.stringify(seen).includes(secret));
  });

  it("keeps the upstream's own _meta keys, not those in the gateway's namespace", async () => {
    const result = await client.callTool({ name: 'relay.echo', arguments: { message: 'hi' } });
    const meta = (result._meta ?? {}) as Record<string, unknown>;
    assert.equal(meta['relay/own'], 'kept');
    for (const key of ['airlock/error', 'airlock/approval_token', 'airlock/trace_id']) assert.equal(meta[key], undefined, key);
    assert.equal(airlockMeta(result).decision.outcome, 'allow');
    assert.equal(meta['airlock/trust'], 'untrusted');
  });
});
