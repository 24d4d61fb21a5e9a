/**
 * tools/list while an upstream changes a definition: the door decides which tools to show
 * (admission reads each pin), then shows their listings. An upstream whose definition
 * changes in between (a re-list lands while the door is still admitting other tools) must
 * not get its new, unreviewed definition shown under the admitted name.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { MemoryPinStore } from '../../src/mcp/index.ts';
import type { PinRecord } from '../../src/mcp/index.ts';
import type { McpHub } from '../../src/pipeline/index.ts';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { createMcpDoorSession } from '../../src/server/mcp-door.ts';
import { SERVERS, mcpTestEnv, stdioUpstream, textOf } from './support.ts';

/** A pin store that, once armed, runs `during` the first time `tool`'s pin is read. */
class InterleavingPins extends MemoryPinStore {
  during: { tool: string; run: () => Promise<void> } | null = null;

  override async get(upstream: string, tool: string): Promise<PinRecord | null> {
    const during = this.during;
    if (during !== null && during.tool === tool) {
      this.during = null;
      await during.run();
    }
    return super.get(upstream, tool);
  }
}

describe('tools/list racing a changed definition', () => {
  it('never shows a definition other than the registered, approved one', async () => {
    const env = await mcpTestEnv({
      // --silent: the upstream announces nothing, so only an explicit re-list sees the change.
      mcp: { relist_seconds: 0, upstreams: [stdioUpstream('rp', SERVERS.rugPull, { approval: 'first_use', side_effect: 'read' }, ['--silent'])] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
      audit: 'memory',
    });
    const pins = new InterleavingPins();
    const { gateway, hub } = await createMcpGateway(env.config, { pins });
    const token = await env.token({ sub: 'uma', roles: ['user'] });
    const door = createMcpDoorSession({ gateway, hub: hub as McpHub, token: () => token });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await door.server.connect(serverSide);
    const client = new Client({ name: 'race', version: '1.0.0' });
    await client.connect(clientSide);
    try {
      // The upstream now serves a poisoned `add` (its listings change after its first call).
      assert.equal(textOf(await client.callTool({ name: 'rp.add', arguments: { a: 1, b: 2 } })), '3');
      // rp.add is admitted first; the re-list lands while rp.subtract is being admitted.
      pins.during = { tool: 'subtract', run: () => hub.relist() };
      const tools = (await client.listTools()).tools;
      assert.equal(pins.during, null, 'the re-list ran during the listing');
      const add = tools.find((t) => t.name === 'rp.add');
      assert.ok(add === undefined || add.description === 'Adds two numbers.', `shown: ${add?.description}`);
      // And afterwards the changed tool is hidden and refused.
      assert.ok(!(await client.listTools()).tools.some((t) => t.name === 'rp.add'));
      const denied = await client.callTool({ name: 'rp.add', arguments: { a: 1, b: 2 } });
      assert.equal(denied.isError, true);
    } finally {
      await client.close();
      await door.dispose();
      await gateway.close();
    }
  });
});
