/**
 * `airlock mcp tools pending|show|approve|reject` as an operator uses them: tables and
 * JSON, decisions bound to the reviewed hash and made with an operator token, recorded in
 * the audit log with the operator's identity.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createMcpGateway, openAuditLog } from '../../src/pipeline/index.ts';
import type { McpTestEnv } from './support.ts';
import { NODE, ROOT, SERVERS, mcpTestEnv, stdioUpstream } from './support.ts';

function airlock(...args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(NODE, [join(ROOT, 'src/cli/main.ts'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', AIRLOCK_TOKEN: '' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

describe('airlock mcp tools', () => {
  let env: McpTestEnv;

  before(async () => {
    env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('rp', SERVERS.rugPull)] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource);' },
    });
    // A gateway start discovers the definitions (and pins them as pending).
    const { gateway } = await createMcpGateway(env.config);
    await gateway.close();
  });

  it('lists pending definitions as a table and as JSON', () => {
    const table = airlock('mcp', 'tools', 'pending', '--config', env.configPath);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /rp\.add\s+pending/);
    assert.match(table.stdout, /rp\.subtract\s+pending/);
    const json = JSON.parse(airlock('mcp', 'tools', 'pending', '--config', env.configPath, '--json').stdout) as { tools: Array<{ name: string; state: string; hash: string }> };
    assert.deepEqual(json.tools.map((t) => [t.name, t.state]), [['rp.add', 'pending'], ['rp.subtract', 'pending']]);
  });

  it('decides with an operator token and the reviewed hash only, and audits the operator', async () => {
    const pending = JSON.parse(airlock('mcp', 'tools', 'pending', '--config', env.configPath, '--json').stdout) as { tools: Array<{ name: string; hash: string }> };
    const add = pending.tools.find((t) => t.name === 'rp.add');
    const hash = String(add?.hash).slice(7, 19);
    const operator = await env.token({ sub: 'olga', roles: ['security-admin'] });
    const noToken = airlock('mcp', 'tools', 'approve', 'rp.add', '--config', env.configPath, '--hash', hash, '--justification', 'ok');
    assert.notEqual(noToken.code, 0);
    assert.match(noToken.stderr, /operator token/);
    const wrongHash = airlock('mcp', 'tools', 'approve', 'rp.add', '--config', env.configPath, '--hash', 'deadbeefdeadbeef', '--justification', 'ok', '--token', operator);
    assert.notEqual(wrongHash.code, 0);
    assert.match(wrongHash.stderr, /ERR_MCP_PIN_STALE/);
    const developer = await env.token({ sub: 'dan', roles: ['dev'] });
    const notAdmin = airlock('mcp', 'tools', 'approve', 'rp.add', '--config', env.configPath, '--hash', hash, '--justification', 'ok', '--token', developer);
    assert.match(notAdmin.stderr, /ERR_MCP_FORBIDDEN/);
    const approved = airlock('mcp', 'tools', 'approve', 'rp.add', '--config', env.configPath, '--hash', hash, '--justification', 'reviewed', '--token', operator);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /rp\.add: approved/);
    const subtract = pending.tools.find((t) => t.name === 'rp.subtract');
    const rejected = airlock('mcp', 'tools', 'reject', 'rp.subtract', '--config', env.configPath, '--hash', String(subtract?.hash), '--justification', 'not needed', '--token', operator, '--json');
    assert.equal((JSON.parse(rejected.stdout) as { tool: { state: string } }).tool.state, 'rejected');
    assert.equal(airlock('mcp', 'tools', 'pending', '--config', env.configPath, '--json').stdout.includes('rp.'), false);
    const shown = airlock('mcp', 'tools', 'show', 'rp.add', '--config', env.configPath);
    assert.match(shown.stdout, /decided\s+olga \(acme\)/);

    const log = await openAuditLog(env.config);
    try {
      const verified = await log.verify();
      assert.equal(verified.ok, true);
    } finally {
      await log.close();
    }
  });
});

describe('airlock mcp tools approve --all-pending', () => {
  let env: McpTestEnv;

  before(async () => {
    env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('rp', SERVERS.rugPull)] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource);' },
    });
    const { gateway } = await createMcpGateway(env.config);
    await gateway.close();
  });

  it('approves every pending definition at the hash listed now, one audited decision each', async () => {
    const pending = (JSON.parse(airlock('mcp', 'tools', 'pending', '--config', env.configPath, '--json').stdout) as { tools: Array<{ name: string; hash: string }> }).tools;
    assert.deepEqual(pending.map((t) => t.name), ['rp.add', 'rp.subtract']);
    const operator = await env.token({ sub: 'olga', roles: ['security-admin'] });
    const misuse = airlock('mcp', 'tools', 'approve', 'rp.add', '--all-pending', '--config', env.configPath, '--justification', 'ok', '--token', operator);
    assert.notEqual(misuse.code, 0);
    assert.match(misuse.stderr, /--all-pending takes no name/);
    const all = airlock('mcp', 'tools', 'approve', '--all-pending', '--config', env.configPath, '--justification', 'upstream reviewed as a whole', '--token', operator, '--json');
    assert.equal(all.code, 0, all.stderr);
    const decided = (JSON.parse(all.stdout) as { tools: Array<{ name: string; hash: string; result: string }> }).tools;
    assert.deepEqual(decided.map((t) => [t.name, t.hash, t.result]), pending.map((t) => [t.name, t.hash, 'approved']));
    assert.equal(airlock('mcp', 'tools', 'pending', '--config', env.configPath, '--json').stdout.includes('rp.'), false);
    const again = airlock('mcp', 'tools', 'approve', '--all-pending', '--config', env.configPath, '--justification', 'again', '--token', operator);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /no pending definitions/);

    const log = await openAuditLog(env.config);
    try {
      const approvals = (await log.search({ type: 'mcp.tool.approved' })).events.map((e) => (e.data as { name: string; hash: string; operator: { user: string } }));
      assert.deepEqual(approvals.map((d) => [d.name, d.hash, d.operator.user]), pending.map((t) => [t.name, t.hash, 'olga']));
      assert.equal((await log.verify()).ok, true);
    } finally {
      await log.close();
    }
  });
});

describe('airlock mcp status', () => {
  it('shows an upstream that failed to start with why and its stderr tail, secrets redacted', async () => {
    const secret = 'sk-live-4f9d2a7c1e8b6035';
    const env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('rp', SERVERS.rugPull), { prefix: 'broken', command: NODE, args: ['-e', "console.error('starting'); console.error('fatal: API key ' + process.env.UPSTREAM_KEY + ' rejected'); process.exit(3)"], env: { UPSTREAM_KEY: 'env:AIRLOCK_TEST_UPSTREAM_KEY' } }] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource);' },
    });
    const run = spawnSync(NODE, [join(ROOT, 'src/cli/main.ts'), 'mcp', 'status', '--config', env.configPath], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', AIRLOCK_TEST_UPSTREAM_KEY: secret } });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /rp\s+connected\s+2/);
    assert.match(run.stdout, /broken\s+not connected/);
    assert.match(run.stdout, /broken stderr \(last lines\):\n\s+starting\n\s+fatal: API key \[redacted\] rejected/);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the resolved secret is never printed');
    const json = spawnSync(NODE, [join(ROOT, 'src/cli/main.ts'), 'mcp', 'status', '--config', env.configPath, '--json'], { encoding: 'utf8', env: { ...process.env, AIRLOCK_TEST_UPSTREAM_KEY: secret } });
    const broken = (JSON.parse(json.stdout) as { upstreams: Array<{ prefix: string; connected: boolean; last_error?: string; stderr_tail?: string }> }).upstreams.find((u) => u.prefix === 'broken');
    assert.equal(broken?.connected, false);
    assert.match(String(broken?.last_error), /cannot connect/);
    assert.match(String(broken?.stderr_tail), /fatal: API key \[redacted\] rejected/);
  });
});
