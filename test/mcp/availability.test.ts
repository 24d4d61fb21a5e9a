/**
 * Periodic re-listing notices a change the upstream never announced. An upstream that is
 * down at start does not stop the gateway: tools the policies name are
 * registered as placeholders (so the bundle validates) and refused until the upstream lists
 * them; `airlock policy check` validates such a bundle offline the same way.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkPolicyBundle, createMcpGateway } from '../../src/pipeline/index.ts';
import { FIXTURES, SERVERS, eventually, mcpTestEnv, stdioUpstream } from './support.ts';

describe('periodic re-listing', () => {
  it('notices a changed definition the upstream never announced', async () => {
    const env = await mcpTestEnv({
      mcp: { relist_seconds: 1, upstreams: [stdioUpstream('rp', SERVERS.rugPull, { approval: 'first_use', side_effect: 'read' }, ['--silent'])] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
    });
    const { gateway } = await createMcpGateway(env.config);
    try {
      const token = await env.token({ sub: 'uma', roles: ['user'] });
      const first = await gateway.execute({ token, tool: 'rp.add', arguments: { a: 1, b: 1 } });
      assert.equal(first.status, 'executed', first.decision.code);
      await eventually(async () => (await gateway.execute({ token, tool: 'rp.add', arguments: { a: 1, b: 1 } })).decision.code === 'mcp.definition_changed', 10_000, 'the change to be noticed');
      assert.ok((await gateway.visibleTools(token)).some((t) => t.name === 'rp.subtract'));
      assert.ok(!(await gateway.visibleTools(token)).some((t) => t.name === 'rp.add'));
    } finally {
      await gateway.close();
    }
  });
});

describe('an upstream that is down at start', () => {
  it('registers the tools policies name as placeholders and refuses their calls', async () => {
    const env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('down', join(FIXTURES, 'no-such-server.ts'))] },
      policies: { 'down.cedar': '@id("use-down") permit (principal, action == Airlock::Action::"down.lookup", resource) when { principal.roles.contains("user") };' },
    });
    const engine = await checkPolicyBundle(env.config);
    assert.match(engine.version, /^sha256:/);
    const { gateway, hub } = await createMcpGateway(env.config);
    try {
      const [status] = hub.status();
      assert.deepEqual({ ...status, stderr_tail: undefined }, { prefix: 'down', connected: false, tools: 0, refused: {}, last_error: 'upstream down: cannot connect (MCP error -32000: Connection closed)', stderr_tail: undefined });
      // Why: the process's own words (here Node's module-not-found), for the operator.
      assert.match(String(status?.stderr_tail), /Cannot find module/);
      assert.ok(gateway.listTools().some((t) => t.name === 'down.lookup'));
      const token = await env.token({ sub: 'uma', roles: ['user'] });
      assert.deepEqual(await gateway.visibleTools(token), []);
      const refused = await gateway.execute({ token, tool: 'down.lookup', arguments: {} });
      assert.equal(refused.status, 'denied');
      assert.equal(refused.decision.code, 'mcp.upstream_unavailable');
      assert.equal(refused.decision.reasons[0]?.policy_id, 'builtin.mcp.upstream');
    } finally {
      await gateway.close();
    }
  });
});
