/**
 * An MCP upstream that echoes the secret the gateway authenticates to it with (an environment
 * variable resolved from a secret reference): the tool result the agent gets carries a
 * redaction marker instead, and the result event counts it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { SECRET_MARKER } from '../../src/pipeline/call-secrets.ts';
import { recordSecret } from '../support/leak-scan.ts';
import { SERVERS, mcpTestEnv, stdioUpstream } from './support.ts';

describe('an MCP upstream that echoes its credential', () => {
  it('the tool result comes back without the upstream secret', async () => {
    const secret = `mcp-key-${randomBytes(24).toString('base64url')}`;
    process.env.AIRLOCK_TEST_MCP_ECHO_KEY = secret;
    recordSecret('mcp upstream api key', secret);
    const env = await mcpTestEnv({
      mcp: {
        upstreams: [
          stdioUpstream('leaky', SERVERS.echo, { approval: 'first_use', side_effect: 'read', env: { ECHO_API_KEY: 'env:AIRLOCK_TEST_MCP_ECHO_KEY' } }, ['leaky']),
        ],
      },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
      audit: 'memory',
    });
    const { gateway } = await createMcpGateway(env.config);
    try {
      const token = await env.token({ sub: 'uma', roles: ['user'] });
      const result = await gateway.execute({ token, tool: 'leaky.echo', arguments: { message: 'hello' } });
      assert.equal(result.status, 'executed', result.decision.code);
      const text = JSON.stringify(result);
      assert.ok(!text.includes(secret), 'the upstream secret is not handed to the agent');
      const body = result.status === 'executed' ? (result.result as { content: Array<{ text: string }>; structuredContent: { key: string } }) : null;
      assert.equal(body?.content[0]?.text, `leaky: hello (my key is ${SECRET_MARKER})`);
      assert.equal(body?.structuredContent.key, SECRET_MARKER);
    } finally {
      await gateway.close();
      delete process.env.AIRLOCK_TEST_MCP_ECHO_KEY;
    }
  });
});
