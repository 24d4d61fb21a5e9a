/**
 * The reference `everything` server (reached over streamable HTTP) and `memory` server
 * (stdio) behind the gateway's /mcp door, driven by the official SDK client: listing,
 * calling, resources and prompts; a tool the principal may not call is absent from
 * tools/list and denied when called by name; resources and prompts read through the gateway
 * reach the session-content hook with their upstream's trust tier.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { newId } from '../../src/core/ids.ts';
import type { Gateway, SessionContent } from '../../src/pipeline/index.ts';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import type { McpTestEnv } from './support.ts';
import { FIXTURES, NODE, SERVERS, airlockMeta, httpClient, mcpTestEnv, stdioUpstream, textOf } from './support.ts';

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

/** The everything server in its streamable-HTTP mode, on a free port. */
async function everythingOverHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(NODE, [SERVERS.everything, 'streamableHttp'], { env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`everything server did not start: ${seen}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`everything server exited (${code}): ${seen}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

describe('everything (HTTP) and memory (stdio) servers behind /mcp', () => {
  let env: McpTestEnv;
  let everything: { url: string; child: ChildProcess };
  let gateway: Gateway;
  let server: RunningServer;
  const registered: SessionContent[] = [];
  let userToken: string;
  let user: Client;
  let admin: Client;
  let guest: Client;

  before(async () => {
    everything = await everythingOverHttp();
    env = await mcpTestEnv({
      mcp: {
        upstreams: [
          {
            prefix: 'ev',
            url: everything.url,
            // Loopback is reachable only when named (docs/egress.md).
            egress: [{ id: 'everything-upstream', host: '127.0.0.1', ports: [Number(new URL(everything.url).port)], schemes: ['http'] }],
            approval: 'first_use',
            side_effect: 'read',
            tools: { 'toggle-simulated-logging': { side_effect: 'write' } },
          },
          stdioUpstream('mem', SERVERS.memory, {
            approval: 'first_use',
            env: { MEMORY_FILE_PATH: 'PLACEHOLDER' },
            tools: { read_graph: { side_effect: 'read' }, search_nodes: { side_effect: 'read' }, open_nodes: { side_effect: 'read' } },
          }),
        ],
      },
      policies: { 'everything-memory.cedar': readFileSync(join(FIXTURES, 'policies/everything-memory.cedar'), 'utf8') },
    });
    const mem = env.config.mcp?.upstreams[1];
    if (mem?.transport.type === 'stdio') mem.transport.env.MEMORY_FILE_PATH = join(env.dir, 'memory.jsonl');
    let hub;
    ({ gateway, hub } = await createMcpGateway(env.config, { sessionContent: (content) => void registered.push(content) }));
    server = await startServer(gateway, { port: 0, mcp: { hub } });
    userToken = await env.token({ sub: 'uma', roles: ['user'] });
    user = await httpClient(server.url, userToken);
    admin = await httpClient(server.url, await env.token({ sub: 'ada', roles: ['admin'] }));
    guest = await httpClient(server.url, await env.token({ sub: 'gus', roles: ['guest'] }));
  });

  after(async () => {
    for (const client of [user, admin, guest]) await client?.close();
    await server?.close();
    everything?.child.kill();
  });

  it('lists only what policy could allow each principal', async () => {
    const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name);
    const forUser = await names(user);
    for (const expected of ['ev.echo', 'ev.get-sum', 'ev.get-tiny-image', 'mem.create_entities', 'mem.read_graph']) assert.ok(forUser.includes(expected), expected);
    for (const hidden of ['mem.delete_entities', 'ev.get-env', 'ev.toggle-simulated-logging']) assert.ok(!forUser.includes(hidden), hidden);
    const forAdmin = await names(admin);
    assert.ok(forAdmin.includes('mem.delete_entities') && forAdmin.includes('ev.toggle-simulated-logging'));
    assert.ok(!forAdmin.includes('ev.get-env'), 'a forbid for everyone hides the tool from everyone');
    assert.deepEqual(await names(guest), []);
    // Listings carry the pinned definition under the exposed name, nothing else.
    const echo = (await user.listTools()).tools.find((t) => t.name === 'ev.echo');
    assert.equal(echo?.description, 'Echoes back the input string');
    const pinned = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'];
    for (const tool of (await admin.listTools()).tools) assert.deepEqual(Object.keys(tool).filter((k) => !pinned.includes(k)), [], tool.name);
  });

  it('calls tools of both upstreams through the pipeline', async () => {
    const echo = await user.callTool({ name: 'ev.echo', arguments: { message: 'hello' } });
    assert.equal(textOf(echo), 'Echo: hello');
    assert.equal((echo._meta as Record<string, unknown>)['airlock/trust'], 'untrusted');
    assert.equal((echo._meta as Record<string, unknown>)['airlock/output_class'], 'informational', 'the output class of the result');
    const sum = await user.callTool({ name: 'ev.get-sum', arguments: { a: 2, b: 40 } });
    assert.match(textOf(sum), /42/);
    // An idempotency key in _meta: the repeat replays, another action under the key is refused.
    const keyed = { name: 'ev.get-sum', arguments: { a: 1, b: 2 }, _meta: { 'airlock/idempotency_key': 'sum-1' } };
    const keyedFirst = await user.callTool(keyed);
    const keyedAgain = await user.callTool(keyed);
    assert.equal(textOf(keyedAgain), textOf(keyedFirst));
    assert.equal(((keyedAgain._meta as Record<string, unknown>)['airlock/decision'] as { code: string }).code, 'idempotency.replayed', 'replayed, not called again');
    const reused = await user.callTool({ ...keyed, arguments: { a: 5, b: 5 } });
    assert.equal(reused.isError, true);
    assert.match(textOf(reused), /ERR_IDEMPOTENCY_KEY_REUSED/);
    const image = await user.callTool({ name: 'ev.get-tiny-image', arguments: {} });
    assert.ok((image.content as Array<{ type: string }>).some((c) => c.type === 'image'));
    const created = await user.callTool({
      name: 'mem.create_entities',
      arguments: { entities: [{ name: 'Airlock', entityType: 'project', observations: ['gateway for agents'] }] },
    });
    assert.equal(created.isError, undefined, textOf(created));
    const graph = await user.callTool({ name: 'mem.read_graph', arguments: {} });
    assert.match(textOf(graph), /Airlock/);
    // A client may correlate its calls: both are found under the trace id it gave.
    const trace = newId('trc');
    const first = await user.callTool({ name: 'ev.echo', arguments: { message: 'a' }, _meta: { 'airlock/trace_id': trace } });
    await user.callTool({ name: 'ev.echo', arguments: { message: 'b' }, _meta: { 'airlock/trace_id': trace, 'airlock/parent_action_id': airlockMeta(first).action_id } });
    const lineage = await gateway.lineage(trace, await env.token({ sub: 'aud', roles: ['auditor'] }));
    assert.equal(lineage.events.filter((e) => e.type === 'intent').length, 2);
    assert.ok(lineage.events.some((e) => e.parent_action_id === airlockMeta(first).action_id));
    // Every id of the result's _meta leads to the call's complete chain.
    const auditor = await env.token({ sub: 'aud', roles: ['auditor'] });
    for (const id of [airlockMeta(first).request_id, airlockMeta(first).action_id, airlockMeta(first).decision_id]) {
      assert.match(id, /^(req|act|dec)_/);
      const report = await gateway.drill(id, auditor);
      assert.equal(report.complete, true, report.text);
      assert.equal(report.actions[0]?.links.find((l) => l.link === 'execution')?.values.connector, 'mcp:ev/echo');
    }
    // Arguments the upstream's schema does not declare are refused before anything runs.
    const extra = await user.callTool({ name: 'ev.echo', arguments: { message: 'x', sneaky: true } });
    assert.equal(airlockMeta(extra).decision.code, 'validate.schema');
  });

  it('denies a hidden tool called by name, with its reason code and rule id', async () => {
    const refused = await user.callTool({ name: 'mem.delete_entities', arguments: { entityNames: ['Airlock'] } });
    assert.equal(refused.isError, true);
    assert.equal(airlockMeta(refused).decision.code, 'policy.forbid');
    assert.deepEqual(airlockMeta(refused).decision.rules, ['only-admins-delete']);
    assert.match(textOf(refused), /Denied by Airlock \(policy\.forbid; rule only-admins-delete\)/);
    assert.match(textOf(await user.callTool({ name: 'mem.read_graph', arguments: {} })), /Airlock/);
    const env = await admin.callTool({ name: 'ev.get-env', arguments: {} });
    assert.deepEqual(airlockMeta(env).decision.rules, ['nobody-reads-env']);
    const unknown = await user.callTool({ name: 'echo', arguments: { message: 'x' } });
    assert.equal(airlockMeta(unknown).decision.code, 'resolve.unknown_tool');
  });

  it('reads resources and prompts through the gateway and registers them as untrusted session content', async () => {
    const resources = (await user.listResources()).resources.map((r) => r.uri);
    assert.ok(resources.includes('demo://resource/static/document/architecture.md'), resources.join(' '));
    assert.ok(resources.includes('memory://knowledge-graph'), resources.join(' '));
    const doc = await user.readResource({ uri: 'demo://resource/static/document/architecture.md' });
    assert.match(String((doc.contents[0] as { text?: string }).text), /Everything/);
    const dynamic = await user.readResource({ uri: 'demo://resource/dynamic/text/7' });
    assert.equal(dynamic.contents[0]?.uri, 'demo://resource/dynamic/text/7');
    const entry = registered.find((c) => c.ref === 'demo://resource/static/document/architecture.md');
    assert.equal(entry?.trust, 'untrusted');
    assert.equal(entry?.source, 'mcp:ev');
    assert.equal(entry?.kind, 'resource');
    assert.match(String(entry?.session_id), /^ses_/);
    assert.ok(entry?.texts.some((t) => t.includes('Everything')));
    assert.match(String(entry?.content_hash), /^sha256:/);
    // The pipeline registered the resource as the session's untrusted content: a later call
    // whose argument repeats a passage of it is tainted.
    const passage = String(entry?.texts.find((t) => t.includes('Everything')) ?? '').split(/\s+/).filter((w) => w !== '').slice(0, 8).join(' ');
    assert.ok(passage.split(' ').length >= 3, passage);
    const traced = await gateway.decide({ token: userToken, tool: 'ev.echo', arguments: { message: passage }, session_id: String(entry?.session_id) });
    assert.deepEqual(traced.decision.taint?.map((t) => t.argument), ['message'], JSON.stringify(traced.decision));

    const prompts = (await user.listPrompts()).prompts.map((p) => p.name);
    assert.ok(prompts.includes('ev.simple-prompt'), prompts.join(' '));
    const prompt = await user.getPrompt({ name: 'ev.args-prompt', arguments: { city: 'Paris' } });
    assert.match(JSON.stringify(prompt.messages), /Paris/);
    assert.ok(registered.some((c) => c.kind === 'prompt' && c.ref === 'args-prompt' && c.trust === 'untrusted'));

    // A principal no policy lets read resources sees none and cannot read them.
    assert.deepEqual((await guest.listResources()).resources, []);
    await assert.rejects(guest.readResource({ uri: 'demo://resource/static/document/architecture.md' }), /Denied by Airlock/);
  });
});
