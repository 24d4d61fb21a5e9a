/**
 * OpenTelemetry traces end to end: a real OTLP/HTTP receiver, the HTTP and /mcp doors, an HTTP
 * upstream tool. A caller's W3C traceparent is the parent of the call's span and names the
 * audit trace; every phase has a span; the upstream's parent is the execute span; the collector
 * gets its configured (secret) header; a failing collector is reported once per outage. With
 * tracing off, the traceparent still names the audit trace and reaches the upstream unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoBundleWith, inventoryTool, startDemoServer, type HttpFixture } from '../support/demo.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { join } from 'node:path';
import { FIXTURES, eventually, httpClient, mcpTestEnv, stdioUpstream, textOf } from '../mcp/support.ts';
import { createMcpGateway } from '../../src/pipeline/index.ts';
import { startServer } from '../../src/server/index.ts';
import { recordSecret } from '../support/leak-scan.ts';

const INVENTORY_POLICY = `
@id("support-inventory-lookup")
@reason("support may look up stock")
permit (principal, action == Airlock::Action::"inventory.lookup", resource)
when { principal.roles.contains("support") };
`;

const SERVER = 2;
const CLIENT = 3;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function startUpstream(): Promise<{ server: Server; base: string; seen: Array<Record<string, string | string[] | undefined>> }> {
  const seen: Array<Record<string, string | string[] | undefined>> = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ sku: decodeURIComponent((req.url ?? '').split('/').pop() ?? ''), in_stock: 3 }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function auditEventsOf(fx: HttpFixture, requestId: string): Promise<Array<{ type: string; trace_id: string }>> {
  const auditor = await fx.token({ sub: 'ada', tenant: 'acme', roles: ['auditor'] });
  const page = await fx.get('/v1/audit/events?limit=500', auditor);
  assert.equal(page.status, 200, JSON.stringify(page.body));
  return (page.body.events as Array<{ type: string; trace_id: string; request_id: string }>).filter((e) => e.request_id === requestId);
}

describe('tracing on: spans to an OTLP receiver', () => {
  let receiver: OtlpReceiver;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let fx: HttpFixture;
  const faults: string[] = [];
  const collectorKey = hex(16);

  before(async () => {
    receiver = await startOtlpReceiver();
    upstream = await startUpstream();
    recordSecret('collector key', collectorKey);
    process.env.AIRLOCK_TEST_COLLECTOR_KEY = collectorKey;
    const bundle = demoBundleWith({ 'inventory.cedar': INVENTORY_POLICY });
    fx = await startDemoServer({
      configure: (c) => ({
        ...c,
        tools: [...c.tools, inventoryTool(upstream.base)],
        policy: { ...c.policy, bundleDir: bundle },
        tracing: { enabled: true, endpoint: receiver.url, headers: { 'x-collector-key': 'env:AIRLOCK_TEST_COLLECTOR_KEY' }, serviceName: 'airlock-test', sampleRatio: 1, timeoutMs: 2_000, protocol: 'http/protobuf' },
      }),
      onBackgroundFault: (what, error) => faults.push(`${what}: ${(error as Error).message}`),
    });
  });
  after(async () => {
    await fx.close();
    await receiver.close();
    await new Promise((done) => upstream.server.close(done));
    delete process.env.AIRLOCK_TEST_COLLECTOR_KEY;
  });

  const spansOf = async (traceId: string, atLeast: number): Promise<ReceivedSpan[]> => {
    await eventually(() => receiver.spans.filter((s) => s.traceId === traceId).length >= atLeast, 10_000, `${atLeast} spans of trace ${traceId}`);
    return receiver.spans.filter((s) => s.traceId === traceId);
  };

  test("an executed call over HTTP: the caller's span is the parent, every phase has a span, the upstream's parent is the execute span", async () => {
    const traceId = hex(16);
    const callerSpan = hex(8);
    const session = await fx.session(fx.tokens.sam);
    const response = await fetch(`${fx.server.url}/v1/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.tokens.sam}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=opaque' },
      body: JSON.stringify({ session_id: session, tool: 'inventory.lookup', arguments: { sku: 'A-1' } }),
    });
    const body = (await response.json()) as { status: string; request_id: string; action_id: string };
    assert.equal(body.status, 'executed', JSON.stringify(body));

    const upstreamParent = String(upstream.seen.at(-1)?.traceparent);
    const [, upstreamTrace, upstreamSpan, flags] = upstreamParent.split('-');
    assert.equal(upstreamTrace, traceId, 'the upstream request continues the caller\'s trace');
    assert.equal(flags, '01');
    assert.equal(upstream.seen.at(-1)?.tracestate, 'vendor=opaque', 'tracestate travels with it');

    const spans = await spansOf(traceId, 12);
    const root = spans.find((s) => s.parentSpanId === callerSpan);
    assert.ok(root, 'the call span is a child of the caller\'s span');
    assert.equal(root.name, 'execute_tool inventory.lookup');
    assert.equal(root.kind, SERVER);
    assert.equal(root.attributes['gen_ai.operation.name'], 'execute_tool');
    assert.equal(root.attributes['gen_ai.tool.name'], 'inventory.lookup');
    assert.equal(root.attributes['gen_ai.tool.call.id'], body.action_id);
    assert.equal(root.attributes['airlock.request_id'], body.request_id);
    assert.equal(root.attributes['airlock.decision.outcome'], 'allow');
    assert.equal(root.attributes['airlock.decision.rule'], 'support-inventory-lookup');
    assert.equal(root.attributes['airlock.tenant'], 'acme');
    assert.equal(root.attributes['airlock.trace_id'], `trc_${traceId}`);
    assert.equal(root.resource['service.name'], 'airlock-test');

    const phases = spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name);
    for (const phase of ['identify', 'screen', 'resolve', 'validate', 'scope', 'trace', 'limit', 'authorize', 'approve', 'credential', 'record_intent', 'execute', 'inspect', 'record_result']) {
      assert.ok(phases.includes(phase), `a span for the ${phase} phase (got ${phases.join(', ')})`);
    }
    const execute = spans.find((s) => s.name === 'execute' && s.parentSpanId === root.spanId);
    assert.equal(execute?.kind, CLIENT);
    assert.equal(execute?.spanId, upstreamSpan, "the upstream's parent is the execute span");

    const events = await auditEventsOf(fx, body.request_id);
    assert.ok(events.length >= 2);
    for (const event of events) assert.equal(event.trace_id, `trc_${traceId}`, `${event.type} is recorded under the W3C trace id`);
    const lineage = await fx.get(`/v1/audit/lineage/${traceId}`, fx.tokens.sam);
    assert.equal(lineage.status, 200, 'the bare W3C trace id finds the lineage');

    assert.ok(receiver.requests.every((r) => r.headers['x-collector-key'] === collectorKey), 'every export carries the configured collector header');
  });

  test('a denied call: one span with the reason and rule, no execute span; a malformed traceparent starts a new trace', async () => {
    const response = await fetch(`${fx.server.url}/v1/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.tokens.fin}`, 'content-type': 'application/json', traceparent: '00-not-a-trace-01' },
      body: JSON.stringify({ tool: 'inventory.lookup', arguments: { sku: 'A-2' } }),
    });
    const body = (await response.json()) as { status: string; request_id: string };
    assert.equal(body.status, 'denied');
    const events = await auditEventsOf(fx, body.request_id);
    const traceId = events[0]?.trace_id.slice(4) ?? '';
    assert.match(traceId, /^[0-9a-f]{32}$/, 'the audit trace id is the new W3C trace');
    const spans = await spansOf(traceId, 8);
    const root = spans.find((s) => s.attributes['airlock.request_id'] === body.request_id);
    assert.ok(root);
    assert.equal(root.parentSpanId, '', 'no parent: the malformed traceparent was ignored');
    assert.equal(root.attributes['airlock.decision.outcome'], 'deny');
    assert.equal(root.attributes['airlock.decision.code'], 'policy.no_permit');
    assert.ok(!spans.some((s) => s.name === 'execute'), 'nothing executed');
  });

  test('a collector that refuses exports is reported once per outage, and spans flow again after it recovers', async () => {
    const before = faults.filter((f) => f.startsWith('tracing')).length;
    receiver.failWith(400);
    await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'C-1' } });
    await eventually(() => faults.filter((f) => f.startsWith('tracing')).length > before, 10_000, 'the export fault reported');
    await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'C-2' } });
    await new Promise((done) => setTimeout(done, 1_500));
    assert.equal(faults.filter((f) => f.startsWith('tracing')).length, before + 1, 'one report for the outage');
    receiver.failWith(null);
    const traceId = hex(16);
    await fx.gateway.decide({ token: fx.tokens.fin, tool: 'inventory.lookup', arguments: { sku: 'C-3' }, trace_context: { traceparent: `00-${traceId}-${hex(8)}-01` } });
    await spansOf(traceId, 5);
    assert.ok(!faults.some((f) => f.includes(collectorKey)), 'the collector key is never in a report');
  });
});

describe('tracing on: the /mcp door and an MCP upstream', () => {
  test('traceparent in _meta: a tools/call span with the MCP attributes, and the upstream gets the execute span as parent in _meta', async () => {
    const receiver = await startOtlpReceiver();
    const env = await mcpTestEnv({
      mcp: { upstreams: [stdioUpstream('ec', join(FIXTURES, 'echo-server.ts'), { side_effect: 'read', approval: 'first_use' }, ['traced'])] },
      policies: { 'all.cedar': '@id("users-echo") permit (principal, action, resource) when { principal.roles.contains("user") };' },
      state: 'memory',
      extra: { tracing: { endpoint: receiver.url, service_name: 'airlock-mcp-test' } },
    });
    const { gateway, hub } = await createMcpGateway(env.config);
    const server = await startServer(gateway, { port: 0, mcp: { hub } });
    const traceId = hex(16);
    const callerSpan = hex(8);
    try {
      const client = await httpClient(server.url, await env.token({ sub: 'uma', roles: ['user'] }));
      let text = '';
      try {
        text = textOf(await client.callTool({ name: 'ec.echo', arguments: { message: 'hi' }, _meta: { traceparent: `00-${traceId}-${callerSpan}-01` } }));
      } finally {
        await client.close();
      }
      const upstreamParent = /traceparent=00-([0-9a-f]{32})-([0-9a-f]{16})-01/.exec(text);
      assert.ok(upstreamParent, `the upstream got a traceparent in _meta (${text})`);
      assert.equal(upstreamParent[1], traceId);
      await eventually(() => receiver.spans.filter((s) => s.traceId === traceId).length >= 10, 10_000, 'the spans of the call');
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const root = spans.find((s) => s.parentSpanId === callerSpan);
      assert.ok(root);
      assert.equal(root.name, 'tools/call ec.echo');
      assert.equal(root.kind, SERVER);
      assert.equal(root.attributes['mcp.method.name'], 'tools/call');
      assert.equal(root.attributes['gen_ai.tool.name'], 'ec.echo');
      assert.equal(root.attributes['airlock.door'], 'mcp');
      assert.equal(spans.find((s) => s.name === 'execute')?.spanId, upstreamParent[2], "the upstream's parent is the execute span");
    } finally {
      await server.close();
      await receiver.close();
    }
  });
});

describe('tracing off: the traceparent passes through', () => {
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let fx: HttpFixture;
  before(async () => {
    upstream = await startUpstream();
    const bundle = demoBundleWith({ 'inventory.cedar': INVENTORY_POLICY });
    fx = await startDemoServer({ configure: (c) => ({ ...c, tools: [...c.tools, inventoryTool(upstream.base)], policy: { ...c.policy, bundleDir: bundle } }) });
  });
  after(async () => {
    await fx.close();
    await new Promise((done) => upstream.server.close(done));
  });

  test('the audit trace is the caller\'s W3C trace and the upstream gets its traceparent unchanged; without one, nothing is sent', async () => {
    const traceparent = `00-${hex(16)}-${hex(8)}-01`;
    const session = await fx.session(fx.tokens.sam);
    const response = await fetch(`${fx.server.url}/v1/tool-calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.tokens.sam}`, 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ session_id: session, tool: 'inventory.lookup', arguments: { sku: 'D-1' } }),
    });
    const body = (await response.json()) as { status: string; request_id: string };
    assert.equal(body.status, 'executed');
    assert.equal(upstream.seen.at(-1)?.traceparent, traceparent);
    const events = await auditEventsOf(fx, body.request_id);
    assert.ok(events.length > 0 && events.every((e) => e.trace_id === `trc_${traceparent.split('-')[1]}`));

    const plain = await fx.post('/v1/tool-calls', { session_id: session, tool: 'inventory.lookup', arguments: { sku: 'D-2' } }, fx.tokens.sam);
    assert.equal(plain.body.status, 'executed');
    assert.equal(upstream.seen.at(-1)?.traceparent, undefined, 'no trace, no traceparent');
  });
});
