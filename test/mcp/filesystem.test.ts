/**
 * The reference filesystem MCP server behind the gateway, driven by the official SDK client
 * over both doors (the stdio door `airlock mcp` as a child process, and /mcp over
 * streamable HTTP): its definitions wait for an operator, reads inside the allowed tree
 * run, writes need an fs-admin's approval (and run once approved), path traversal and
 * out-of-tree paths are denied by the gateway itself (the upstream never sees them), and
 * every call is in the durable audit log with its lineage.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Gateway, McpHub } from '../../src/pipeline/index.ts';
import { createMcpGateway, openAuditLog, openMcpPinAdmin } from '../../src/pipeline/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import type { McpTestEnv } from './support.ts';
import { FIXTURES, SERVERS, airlockMeta, httpClient, mcpTestEnv, stdioClient, stdioUpstream, textOf } from './support.ts';

const READS = ['read_file', 'read_text_file', 'read_media_file', 'list_directory', 'list_directory_with_sizes', 'directory_tree', 'search_files', 'get_file_info', 'list_allowed_directories'];

async function filesystemEnv(): Promise<McpTestEnv & { tree: string }> {
  const env = await mcpTestEnv({
    mcp: {
      upstreams: [
        stdioUpstream(
          'fs',
          SERVERS.filesystem,
          { tools: Object.fromEntries(READS.map((t) => [t, { side_effect: 'read', ...(t === 'list_allowed_directories' ? {} : { resource: { type: 'File', argument: 'path' } }) }])) },
          // The tree is created below, before the upstream starts.
          ['__TREE__'],
        ),
      ],
    },
    policies: { 'filesystem.cedar': readFileSync(join(FIXTURES, 'policies/filesystem.cedar'), 'utf8') },
  });
  const tree = join(env.dir, 'tree');
  mkdirSync(join(tree, 'docs'), { recursive: true });
  writeFileSync(join(tree, 'docs', 'readme.txt'), 'inside the tree\n');
  writeFileSync(join(env.dir, 'secret.txt'), 'TOP SECRET outside the tree\n');
  symlinkSync(join(env.dir, 'secret.txt'), join(tree, 'escape.txt'));
  const upstream = env.config.mcp?.upstreams[0];
  if (upstream?.transport.type === 'stdio') upstream.transport.args = upstream.transport.args.map((a) => (a === '__TREE__' ? tree : a));
  // The stdio door reads the config file itself.
  writeFileSync(env.configPath, readFileSync(env.configPath, 'utf8').replace('__TREE__', tree));
  return { ...env, tree };
}

/** The operator admits every pending definition (`airlock mcp tools approve` does exactly this). */
async function approveAll(env: McpTestEnv): Promise<string[]> {
  const admin = await openMcpPinAdmin(env.config);
  const operator = await env.token({ sub: 'olga', roles: ['security-admin'] });
  try {
    const pending = await admin.list({ state: 'pending' });
    for (const pin of pending) {
      await admin.decide({ name: pin.name, hash: pin.hash.slice(7, 19), verdict: 'approve', justification: 'reviewed the reference filesystem server', token: operator });
    }
    return pending.map((p) => p.name);
  } finally {
    await admin.close();
  }
}

interface Recorded {
  request_id: string;
  kind: 'allowed' | 'denied' | 'held' | 'approved';
}

/** The scenario, the same over both doors. Returns the calls it made, for the audit checks. */
async function scenario(client: Client, env: McpTestEnv & { tree: string }, reviewer: Gateway, dev: string): Promise<Recorded[]> {
  const recorded: Recorded[] = [];
  const call = async (name: string, args: Record<string, unknown>, meta?: Record<string, unknown>) =>
    client.callTool({ name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) });

  // Listing: the fs tools under their prefix; the gateway's own per-upstream tools are not tools.
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes('fs.read_text_file') && names.includes('fs.write_file'), names.join(' '));
  assert.ok(!names.some((n) => !n.startsWith('fs.')), names.join(' '));
  // Listing over-approximates (the policies' conditions on `path` are unknown until a call
  // names one), calling decides: move_file has no `path` argument, so no policy permits it.
  const move = await call('fs.move_file', { source: join(env.tree, 'docs', 'readme.txt'), destination: join(env.tree, 'moved.txt') });
  assert.equal(move.isError, true);
  assert.equal(airlockMeta(move).decision.code, 'policy.no_permit');
  assert.ok(existsSync(join(env.tree, 'docs', 'readme.txt')));
  recorded.push({ request_id: airlockMeta(move).request_id, kind: 'denied' });

  // A read inside the tree runs.
  const read = await call('fs.read_text_file', { path: join(env.tree, 'docs', 'readme.txt') });
  assert.equal(read.isError, undefined, textOf(read));
  assert.equal(textOf(read), 'inside the tree\n');
  assert.equal(airlockMeta(read).decision.outcome, 'allow');
  assert.deepEqual(airlockMeta(read).decision.rules, ['fs-read-in-tree']);
  recorded.push({ request_id: airlockMeta(read).request_id, kind: 'allowed' });

  // Traversal out of the tree: denied by the gateway (forbid on `..`), never sent upstream.
  const traversal = await call('fs.read_text_file', { path: `${env.tree}/docs/../../secret.txt` });
  const traversal2 = await call('fs.read_text_file', { path: `${env.tree}/../secret.txt` });
  for (const denied of [traversal, traversal2]) {
    assert.equal(denied.isError, true);
    assert.doesNotMatch(textOf(denied), /TOP SECRET/);
    recorded.push({ request_id: airlockMeta(denied).request_id, kind: 'denied' });
  }
  assert.equal(airlockMeta(traversal2).decision.code, 'policy.forbid');
  assert.deepEqual(airlockMeta(traversal2).decision.rules, ['fs-no-traversal']);
  assert.match(textOf(traversal2), /policy\.forbid; rule fs-no-traversal/);

  // Out of the tree: no permit covers it, so the default deny.
  const outside = await call('fs.read_text_file', { path: join(env.dir, 'secret.txt') });
  assert.equal(outside.isError, true);
  assert.equal(airlockMeta(outside).decision.code, 'policy.no_permit');
  assert.deepEqual(airlockMeta(outside).decision.rules, ['builtin.default_deny']);
  assert.doesNotMatch(textOf(outside), /TOP SECRET/);
  recorded.push({ request_id: airlockMeta(outside).request_id, kind: 'denied' });

  // A symlink inside the tree pointing out of it passes the lexical check; the upstream refuses it.
  const escape = await call('fs.read_text_file', { path: join(env.tree, 'escape.txt') });
  assert.equal(escape.isError, true);
  assert.doesNotMatch(textOf(escape), /TOP SECRET/);
  recorded.push({ request_id: airlockMeta(escape).request_id, kind: 'allowed' });

  // A write inside the tree is held for an fs-admin.
  const target = join(env.tree, 'docs', 'new.txt');
  const held = await call('fs.write_file', { path: target, content: 'written through airlock' });
  assert.equal(held.isError, true);
  const approvalId = airlockMeta(held).decision.approval_id;
  assert.match(approvalId ?? '', /^apr_/);
  assert.equal(airlockMeta(held).decision.code, 'policy.approval_required');
  assert.match(textOf(held), new RegExp(`POST .*/v1/approvals/${approvalId}/approve`));
  assert.equal(existsSync(target), false);
  recorded.push({ request_id: airlockMeta(held).request_id, kind: 'held' });

  // An fs-admin approves; the requesting application fetches the one-time token and repeats the call.
  await reviewer.decideApproval(await env.token({ sub: 'ada', roles: ['fs-admin'] }), approvalId as string, 'approve', 'small docs change');
  const { approval_token } = await reviewer.getApproval(dev, approvalId as string);
  assert.ok(approval_token);
  const written = await call('fs.write_file', { path: target, content: 'written through airlock' }, { 'airlock/approval_token': approval_token });
  assert.equal(written.isError, undefined, textOf(written));
  assert.equal(readFileSync(target, 'utf8'), 'written through airlock');
  recorded.push({ request_id: airlockMeta(written).request_id, kind: 'approved' });

  // The token is spent: a replay is refused.
  const replay = await call('fs.write_file', { path: target, content: 'again' }, { 'airlock/approval_token': approval_token });
  assert.equal(replay.isError, true);
  assert.equal(readFileSync(target, 'utf8'), 'written through airlock');
  recorded.push({ request_id: airlockMeta(replay).request_id, kind: 'denied' });
  return recorded;
}

type Trace = (id: string) => Promise<Array<{ type: string; session_id: string | null; tool?: string | null; decision?: unknown; args_hash?: string | null }>>;

async function checkAudit(recorded: Recorded[], trace: Trace): Promise<void> {
  const sessions = new Set<string | null>();
  for (const r of recorded) {
    const events = await trace(r.request_id);
    const types = events.map((e) => e.type);
    if (r.kind === 'allowed' || r.kind === 'approved') assert.deepEqual(types.filter((t) => t === 'intent' || t === 'result'), ['intent', 'result'], `${r.kind}: ${types.join(',')}`);
    if (r.kind === 'denied') assert.deepEqual(types, ['decision'], `${r.kind}: ${types.join(',')}`);
    if (r.kind === 'held') assert.deepEqual(types, ['decision', 'approval.requested']);
    for (const event of events) {
      if (event.type === 'intent' || event.type === 'decision') {
        assert.match(String(event.tool), /^fs\./);
        assert.match(String(event.args_hash), /^sha256:/);
      }
      sessions.add(event.session_id);
    }
  }
  // Every call of the MCP session ran in one Airlock session.
  assert.equal(sessions.size, 1);
  assert.match(String([...sessions][0]), /^ses_/);
}

/** The status /mcp answers a request with this Host header (fetch cannot set Host). */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/mcp`, { method: 'POST', headers: { host, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('filesystem server behind the gateway', () => {
  describe('over streamable HTTP (/mcp)', () => {
    let env: McpTestEnv & { tree: string };
    let gateway: Gateway;
    let hub: McpHub;
    let server: RunningServer;

    before(async () => {
      env = await filesystemEnv();
      ({ gateway, hub } = await createMcpGateway(env.config));
      server = await startServer(gateway, { port: 0, mcp: { hub } });
    });
    after(async () => server?.close());

    it('admits nothing before an operator does', async () => {
      const client = await httpClient(server.url, await env.token({ sub: 'dev1', roles: ['dev'] }));
      assert.deepEqual((await client.listTools()).tools, []);
      const refused = await client.callTool({ name: 'fs.read_text_file', arguments: { path: join(env.tree, 'docs', 'readme.txt') } });
      assert.equal(refused.isError, true);
      assert.equal(airlockMeta(refused).decision.code, 'mcp.definition_pending');
      assert.deepEqual(airlockMeta(refused).decision.rules, ['builtin.mcp.pin']);
      await client.close();
      const approved = await approveAll(env);
      assert.ok(approved.includes('fs.write_file'), approved.join(' '));
    });

    it('reads in the tree, holds writes for approval, denies escapes; every call audited with lineage', async () => {
      const dev = await env.token({ sub: 'dev1', roles: ['dev'] });
      const client = await httpClient(server.url, dev);
      let recorded: Recorded[];
      try {
        recorded = await scenario(client, env, gateway, dev);
      } finally {
        await client.close();
      }
      const auditor = await env.token({ sub: 'aud', roles: ['auditor'] });
      await checkAudit(recorded, async (id) => (await gateway.lineage(id, auditor)).events);
    });

    it('refuses /mcp without a valid bearer token, and another principal\'s session', async () => {
      const noToken = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
      assert.equal(noToken.status, 401);
      assert.match(noToken.headers.get('www-authenticate') ?? '', /Bearer/);
      const client = await httpClient(server.url, await env.token({ sub: 'dev1', roles: ['dev'] }));
      const sessionId = (client.transport as unknown as { sessionId?: string }).sessionId;
      assert.ok(sessionId);
      const other = await fetch(`${server.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${await env.token({ sub: 'mallory', roles: ['dev'] })}`,
          'mcp-session-id': sessionId,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      assert.equal(other.status, 404);
      assert.equal(await statusWithHost(server.url, 'evil.example'), 403);
      assert.equal(await statusWithHost(server.url, 'localhost'), 401);
      await client.close();
    });
  });

  describe('over stdio (airlock mcp)', () => {
    let env: McpTestEnv & { tree: string };
    let reviewer: Gateway;

    before(async () => {
      env = await filesystemEnv();
    });
    after(async () => reviewer?.close());

    it('reads in the tree, holds writes for approval, denies escapes; every call audited with lineage', async () => {
      const dev = await env.token({ sub: 'dev2', roles: ['dev'] });
      const client = await stdioClient(env.configPath, dev);
      let recorded: Recorded[];
      try {
        // The door discovered the definitions; nothing is admitted yet.
        assert.deepEqual((await client.listTools()).tools, []);
        await approveAll(env);
        // Reviewers work on the same state database from another gateway (here: in this process).
        ({ gateway: reviewer } = await createMcpGateway(env.config));
        recorded = await scenario(client, env, reviewer, dev);
      } finally {
        await client.close();
      }
      const log = await openAuditLog(env.config);
      try {
        await checkAudit(recorded, async (id) => (await log.trace(id))?.events ?? []);
        const verified = await log.verify();
        assert.equal(verified.ok, true);
      } finally {
        await log.close();
      }
    });
  });
});
