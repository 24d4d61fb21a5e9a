/**
 * The /mcp door bounds each principal's sessions on their own (`max_sessions_per_principal`):
 * opening one more closes that principal's least recently used, so one principal cannot fill
 * the gateway-wide cap (`max_sessions`) and lock every other principal out.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningServer } from '../../src/server/index.ts';
import type { McpTestEnv } from './support.ts';
import { echoDoor } from './support.ts';

const PER_PRINCIPAL = 3;
const GLOBAL = 4;

describe('/mcp: sessions are bounded per principal', () => {
  let env: McpTestEnv;
  let server: RunningServer;

  before(async () => {
    ({ env, server } = await echoDoor({ max_sessions: GLOBAL, max_sessions_per_principal: PER_PRINCIPAL }));
  });
  after(async () => server?.close());

  const headers = (token: string, sessionId?: string) => ({
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': '2025-11-25',
    ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
  });
  const open = async (token: string): Promise<{ status: number; id: string | null }> => {
    const body = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: headers(token), body: JSON.stringify(body) });
    await response.body?.cancel();
    return { status: response.status, id: response.headers.get('mcp-session-id') };
  };
  const list = async (token: string, sessionId: string): Promise<number> => {
    const response = await fetch(`${server.url}/mcp`, { method: 'POST', headers: headers(token, sessionId), body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    await response.body?.cancel();
    return response.status;
  };

  it('a principal opening more than its share displaces its own oldest session; another principal still gets in', async () => {
    const greedy = await env.token({ sub: 'greedy', roles: ['dev'] });
    const opened: string[] = [];
    for (let i = 0; i < PER_PRINCIPAL * 3; i++) {
      const { status, id } = await open(greedy);
      assert.equal(status, 200, `session ${i}`);
      assert.ok(id !== null);
      opened.push(id);
    }
    // Only its newest PER_PRINCIPAL sessions are left; the older ones are gone (404).
    for (const id of opened.slice(0, -PER_PRINCIPAL)) assert.equal(await list(greedy, id), 404);
    for (const id of opened.slice(-PER_PRINCIPAL)) assert.equal(await list(greedy, id), 200);

    const other = await env.token({ sub: 'other', roles: ['dev'] });
    const theirs = await open(other);
    assert.equal(theirs.status, 200, 'the cap left room for another principal');
    assert.equal(await list(other, theirs.id as string), 200);
    // The gateway-wide cap still holds for a third principal.
    assert.equal((await open(await env.token({ sub: 'third', roles: ['dev'] }))).status, 503);
  });
});
