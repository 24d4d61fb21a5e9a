/**
 * An MCP upstream that quotes the key the gateway authenticates to it with anywhere but a call's
 * result. Over HTTP, in its error answers (a 401 body naming the key it got, a JSON-RPC error
 * echoing it): the operator's log lines (the gateway's fault reports, serialized by pino as
 * `airlock serve` does) and the hub's status (`last_error`, shown in the listening line and by
 * `airlock mcp status`) carry a redaction marker instead, also URL-encoded, also in the causes
 * a log line serializes. Over stdio, in its tool listing: the tools the gateway serves (what
 * the agent's model reads) carry the marker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pino from 'pino';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { SECRET_MARKER } from '../../src/pipeline/call-secrets.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import { recordOutput, recordSecret } from '../support/leak-scan.ts';
import { FIXTURES, httpClient, mcpTestEnv, stdioUpstream } from './support.ts';
import { join } from 'node:path';

type Mode = 'unauthorized' | 'list-error';

/** An upstream that answers with the key it was sent: as a 401 body, or as the error of tools/list. */
function echoingUpstream(mode: Mode): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const key = String(req.headers['x-api-key']);
      if (req.method !== 'POST') return void res.writeHead(405).end();
      if (mode === 'unauthorized') return void res.writeHead(401, { 'content-type': 'text/plain' }).end(`invalid key ${key} (url form ${encodeURIComponent(key)})`);
      const message = JSON.parse(body) as { id?: number; method: string };
      if (message.id === undefined) return void res.writeHead(202).end();
      const answer =
        message.method === 'initialize'
          ? { result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'echoing', version: '1' } } }
          : { error: { code: -32001, message: `key ${key} may not list tools` } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: message.id, ...answer }));
    });
  });
}

for (const mode of ['unauthorized', 'list-error'] as const) {
  describe(`an HTTP MCP upstream that echoes its key in an error (${mode})`, () => {
    const secret = `mcp-err-key/${randomBytes(24).toString('base64url')}`;
    const variable = `AIRLOCK_TEST_MCP_ERR_KEY_${mode === 'unauthorized' ? 'A' : 'B'}`;
    let upstream: Server;
    let port = 0;

    before(async () => {
      process.env[variable] = secret;
      recordSecret('mcp upstream api key (error echo)', secret);
      upstream = echoingUpstream(mode);
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      port = (upstream.address() as { port: number }).port;
    });
    after(() => {
      upstream.close();
      delete process.env[variable];
    });

    it('the fault log lines and the hub status carry no part of the key', async () => {
      const env = await mcpTestEnv({
        mcp: {
          upstreams: [
            {
              prefix: 'echoing',
              url: `http://127.0.0.1:${port}/mcp`,
              headers: { 'x-api-key': `env:${variable}` },
              approval: 'first_use',
              side_effect: 'read',
              egress: [{ id: 'echoing-upstream', host: '127.0.0.1', ports: [port], schemes: ['http'] }],
            },
          ],
        },
        policies: { 'all.cedar': '@id("all") permit (principal, action, resource);' },
        state: 'memory',
        audit: 'memory',
      });
      const lines: string[] = [];
      const logger = pino({ base: { service: 'airlock' } }, { write: (line: string) => (lines.push(line), recordOutput('log', 'mcp upstream fault', line)) });
      const { gateway, hub } = await createMcpGateway(env.config, { onMcpFault: (what, error) => logger.warn({ err: error }, `mcp: ${what} failed`) });
      try {
        logger.info({ mcp: hub.status() }, 'airlock listening');
        const faults = lines.filter((line) => line.includes('failed'));
        assert.ok(faults.length > 0, 'the upstream fault is logged');
        const text = lines.join('');
        assert.ok(text.includes(mode === 'unauthorized' ? 'invalid key [redacted]' : 'key [redacted] may not list tools'), text);
        for (const form of [secret, encodeURIComponent(secret)]) assert.ok(!text.includes(form), `the key (${form === secret ? 'as sent' : 'url-encoded'}) is not logged:\n${text}`);
      } finally {
        await gateway.close();
      }
    });
  });
}

describe('a stdio MCP upstream that names its key in its tool listing', () => {
  it('the tools the gateway serves, and lists to an MCP client, carry no part of the key', async () => {
    const secret = `mcp-listing-key/${randomBytes(24).toString('base64url')}`;
    process.env.AIRLOCK_TEST_MCP_LISTING_KEY = secret;
    recordSecret('mcp upstream api key (listing echo)', secret);
    const env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('listing', join(FIXTURES, 'listing-echo-server.ts'), { approval: 'first_use', side_effect: 'read', env: { LISTING_API_KEY: 'env:AIRLOCK_TEST_MCP_LISTING_KEY' } })] },
      policies: { 'all.cedar': '@id("all") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
      audit: 'memory',
    });
    const { gateway, hub } = await createMcpGateway(env.config);
    let server: RunningServer | undefined;
    try {
      server = await startServer(gateway, { port: 0, mcp: { hub } });
      const client = await httpClient(server.url, await env.token({ sub: 'uma', roles: ['user'] }));
      try {
        const listed = await client.listTools();
        const echo = listed.tools.find((t) => t.name === 'listing.echo');
        assert.equal(echo?.description, `Echoes a message. Configured with key ${SECRET_MARKER}.`);
        for (const text of [JSON.stringify(listed), JSON.stringify(gateway.listTools())]) {
          for (const form of [secret, encodeURIComponent(secret)]) assert.ok(!text.includes(form), text);
        }
        const result = await client.callTool({ name: 'listing.echo', arguments: { message: 'hi' } });
        assert.equal((result.content as Array<{ text: string }>)[0]?.text, 'echo: hi', 'the scrubbed listing still calls the tool');
      } finally {
        await client.close();
      }
    } finally {
      await (server === undefined ? gateway.close() : server.close());
      delete process.env.AIRLOCK_TEST_MCP_LISTING_KEY;
    }
  });
});
