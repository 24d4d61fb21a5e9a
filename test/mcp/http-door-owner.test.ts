/**
 * The /mcp door binds an MCP session to the principal that opened it — issuer, tenant, user
 * and acting agent, the four the gateway's own sessions are bound to. The same user acting as
 * another agent (or as no agent) gets 404 for the session id, exactly as another user does:
 * it cannot call through the session, open its stream, or end it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningServer } from '../../src/server/index.ts';
import type { McpTestEnv } from './support.ts';
import { echoDoor, httpClient } from './support.ts';

describe('/mcp: a session belongs to the acting agent too', () => {
  let env: McpTestEnv;
  let server: RunningServer;

  before(async () => {
    ({ env, server } = await echoDoor());
  });
  after(async () => server?.close());

  const send = async (method: 'POST' | 'GET' | 'DELETE', token: string, sessionId: string): Promise<number> => {
    const response = await fetch(`${server.url}/mcp`, {
      method,
      headers: {
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
      ...(method === 'POST' ? { body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }) } : {}),
    });
    await response.body?.cancel();
    return response.status;
  };

  it('the same user as another agent, or as no agent, gets 404 and cannot end the session', async () => {
    const owner = await env.token({ sub: 'dev', roles: ['dev'], agent: 'agent-a' });
    const client: Client = await httpClient(server.url, owner);
    try {
      const sessionId = (client.transport as unknown as { sessionId?: string }).sessionId;
      assert.ok(sessionId);
      for (const intruder of [await env.token({ sub: 'dev', roles: ['dev'], agent: 'agent-b' }), await env.token({ sub: 'dev', roles: ['dev'] })]) {
        assert.equal(await send('POST', intruder, sessionId), 404, 'a call through the session');
        assert.equal(await send('GET', intruder, sessionId), 404, 'the session stream');
        assert.equal(await send('DELETE', intruder, sessionId), 404, 'ending the session');
      }
      // The owner's session is intact.
      assert.ok(Array.isArray((await client.listTools()).tools));
    } finally {
      await client.close();
    }
  });
});
