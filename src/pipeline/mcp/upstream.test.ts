import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { upstreamConfig } from './upstream-config.fixture.ts';
import { UpstreamConnection } from './upstream.ts';

const ECHO = fileURLToPath(new URL('../../../test/mcp/fixtures/echo-server.ts', import.meta.url));
const events = { closed: () => undefined, toolsChanged: () => undefined, resourcesChanged: () => undefined, promptsChanged: () => undefined, resourceUpdated: () => undefined };
const echo = () =>
  new UpstreamConnection(upstreamConfig({ prefix: 'e', transport: { type: 'stdio', command: process.execPath, args: [ECHO, 'e'], env: {} } }), events, async () => '');

test('a connection closed while it connects ends the new connection (no upstream process outlives the gateway)', async () => {
  const conn = echo();
  const connecting = conn.connect(20_000);
  await conn.close();
  await assert.rejects(connecting, { code: 'ERR_MCP_UPSTREAM_UNAVAILABLE' });
  assert.equal(conn.connected, false);
  await assert.rejects(conn.connect(20_000), { code: 'ERR_MCP_UPSTREAM_UNAVAILABLE' }, 'a closed connection never connects again');
});

test('an open connection connects, and closes for good', async () => {
  const conn = echo();
  await conn.connect(20_000);
  assert.equal(conn.connected, true);
  await conn.close();
  assert.equal(conn.connected, false);
});
