/**
 * The gateway's streamable-HTTP client transport (src/pipeline/mcp/http-transport.ts)
 * against the SDK's own server transport, in both answer modes (SSE stream and JSON): calls,
 * the configured headers and the session headers on every request, progress in order before
 * the result, a stream the server ends before its answer (resumed with Last-Event-ID),
 * notifications on the standalone stream, a session the server no longer knows, and one
 * pooled connection for many calls.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamHttpTransport, egressScope } from '../../src/pipeline/mcp/http-transport.ts';
import { compileEgressPolicy } from '../../src/tools/index.ts';
import { SessionEventStore } from '../../src/server/mcp-events.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Upstream {
  url: URL;
  /** Headers of every POST carrying a tools/call. */
  callHeaders: IncomingHttpHeaders[];
  connections: number;
  servers: Server[];
  forgetSessions(): void;
  close(): Promise<void>;
}

function mcpServer(): Server {
  const server = new Server({ name: 'upstream', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: ['echo', 'progress', 'poll'].map((name) => ({ name, inputSchema: { type: 'object' as const } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const token = request.params._meta?.progressToken;
    switch (request.params.name) {
      case 'progress':
        for (const progress of [1, 2, 3]) {
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total: 3 } });
        }
        return { content: [{ type: 'text', text: 'done' }] };
      case 'poll':
        // Ends this request's stream before answering: the client must resume it.
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
        assert.ok(extra.closeSSEStream !== undefined, 'the server can end the stream (event store, protocol 2025-11-25)');
        extra.closeSSEStream();
        await sleep(100);
        return { content: [{ type: 'text', text: 'polled' }] };
      default:
        return { content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }] };
    }
  });
  return server;
}

async function upstream(options: { json: boolean }): Promise<Upstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const servers: Server[] = [];
  const callHeaders: IncomingHttpHeaders[] = [];
  let connections = 0;
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length === 0 ? undefined : (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method?: string });
    if (body?.method === 'tools/call') callHeaders.push(req.headers);
    const id = req.headers['mcp-session-id'];
    let transport = typeof id === 'string' ? transports.get(id) : undefined;
    if (transport === undefined) {
      if (id !== undefined) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: options.json,
        eventStore: new SessionEventStore(),
        retryInterval: 20,
        onsessioninitialized: (sid) => void transports.set(sid, created),
      });
      const server = mcpServer();
      servers.push(server);
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  http.on('connection', () => connections++);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    callHeaders,
    get connections() {
      return connections;
    },
    servers,
    forgetSessions: () => transports.clear(),
    close: async () => {
      for (const t of transports.values()) await t.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** A client on the transport; `arrivals` lists what the transport handed on, in order (progress values, `result`). */
async function connect(up: Upstream): Promise<Client & { arrivals: Array<number | 'result'> }> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' }, { capabilities: {} });
  const egress = { policy: compileEgressPolicy([{ id: 'test-upstream', host: '127.0.0.1', ports: [Number(up.url.port)], schemes: ['http'] }]) };
  const transport = new UpstreamHttpTransport(up.url, { headers: { 'x-upstream-key': 'k-123' }, egress });
  await client.connect(transport);
  const arrivals: Array<number | 'result'> = [];
  const dispatch = transport.onmessage;
  transport.onmessage = (message, extra) => {
    const m = message as { method?: string; params?: { progress?: number }; result?: unknown };
    if (m.method === 'notifications/progress') arrivals.push(m.params?.progress ?? -1);
    else if (m.result !== undefined) arrivals.push('result');
    dispatch?.(message, extra);
  };
  return Object.assign(client, { arrivals });
}

for (const json of [false, true]) {
  describe(`upstream http transport (${json ? 'JSON' : 'SSE'} answers)`, () => {
    const cleanup: Array<() => Promise<void>> = [];
    after(async () => {
      for (const step of cleanup.reverse()) await step();
    });

    it('calls tools with the configured and session headers, over one pooled connection', async () => {
      const up = await upstream({ json });
      const client = await connect(up);
      cleanup.push(() => up.close(), () => client.close());
      const before = up.connections;
      for (let i = 0; i < 20; i++) {
        const result = await client.callTool({ name: 'echo', arguments: { i } });
        assert.deepEqual(result.content, [{ type: 'text', text: JSON.stringify({ i }) }]);
      }
      assert.equal(up.callHeaders.length, 20);
      for (const headers of up.callHeaders) {
        assert.equal(headers['x-upstream-key'], 'k-123');
        assert.equal(typeof headers['mcp-session-id'], 'string');
        assert.equal(headers['mcp-protocol-version'], '2025-11-25');
      }
      // One pool serves every request (the SDK's go through the egress client on the same agent):
      // the standalone GET stream, opened just after connect, holds one connection; the calls share another.
      assert.ok(up.connections - before <= 2, `20 calls opened ${up.connections - before} connections`);
    });

    it('relays progress in order, before the result', async () => {
      const up = await upstream({ json });
      const client = await connect(up);
      cleanup.push(() => up.close(), () => client.close());
      const result = await client.callTool({ name: 'progress', arguments: {} }, undefined, { onprogress: () => undefined });
      assert.deepEqual(result.content, [{ type: 'text', text: 'done' }]);
      // A JSON answer carries no notifications; a stream carries them in order, before the result.
      assert.deepEqual(client.arrivals, json ? ['result'] : [1, 2, 3, 'result']);
    });

    it('passes on notifications from the standalone stream', async () => {
      const up = await upstream({ json });
      const client = await connect(up);
      cleanup.push(() => up.close(), () => client.close());
      let changed = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changed++;
      });
      await client.callTool({ name: 'echo', arguments: {} });
      for (let i = 0; changed === 0; i++) {
        assert.ok(i < 200, 'no tools/list_changed notification arrived');
        await up.servers[0]?.sendToolListChanged();
        await sleep(10);
      }
    });

    it('fails a call when the upstream no longer knows the session', async () => {
      const up = await upstream({ json });
      const client = await connect(up);
      cleanup.push(() => up.close(), () => client.close());
      up.forgetSessions();
      await assert.rejects(client.callTool({ name: 'echo', arguments: {} }), { code: 404 });
    });
  });
}

describe('upstream http transport: a stream that ends before its answer', () => {
  it('is resumed with Last-Event-ID and the answer arrives', async () => {
    const up = await upstream({ json: false });
    const client = await connect(up);
    try {
      const result = await client.callTool({ name: 'poll', arguments: {} }, undefined, { onprogress: () => undefined, timeout: 10_000 });
      assert.deepEqual(result.content, [{ type: 'text', text: 'polled' }]);
      assert.deepEqual(client.arrivals, [1, 'result']);
    } finally {
      await client.close();
      await up.close();
    }
  });
});

describe('upstream http transport: egress', () => {
  it('refuses an upstream its egress policy does not admit, before any connection', async () => {
    const up = await upstream({ json: true });
    try {
      const client = new Client({ name: 'gateway-test', version: '1.0.0' }, { capabilities: {} });
      const transport = new UpstreamHttpTransport(up.url, { headers: {}, egress: { policy: compileEgressPolicy([{ host: 'mcp.example.com' }]) } });
      await assert.rejects(client.connect(transport), (error: { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'ERR_EGRESS_DENIED');
        assert.equal(error.details?.reason, 'egress.not_allowlisted');
        return true;
      });
      assert.equal(up.connections, 0);
    } finally {
      await up.close();
    }
  });

  it('reports each call to the telemetry of the call it serves, with its bytes', async () => {
    const up = await upstream({ json: true });
    const client = await connect(up);
    try {
      const hops: Array<{ destination: string; bytes_out: number; bytes_in: number; status?: number }> = [];
      await egressScope.run(
        (hop) => hops.push(hop),
        () => client.callTool({ name: 'echo', arguments: { payload: 'x'.repeat(5000) } }),
      );
      assert.equal(hops.length, 1);
      assert.equal(hops[0]?.destination, `http://${up.url.host}`);
      assert.ok((hops[0]?.bytes_out ?? 0) > 5000, JSON.stringify(hops));
      assert.ok((hops[0]?.bytes_in ?? 0) > 5000, JSON.stringify(hops));
      assert.equal(hops[0]?.status, 200);
    } finally {
      await client.close();
      await up.close();
    }
  });
});
