import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExportResultCode } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { PASSTHROUGH_TRACER, createOtelTracer } from './call-tracer.ts';

const TRACE = 'a'.repeat(32);
const CALLER = 'b'.repeat(16);
const summary = { tool: 'crm.getCustomer', requestId: 'req_1', actionId: 'act_1', auditTraceId: `trc_${TRACE}` };

function tracerWith(exporter: SpanExporter, sampleRatio = 1) {
  return createOtelTracer({ serviceName: 'svc', serviceVersion: '9.9.9', sampleRatio, exporter, scheduledDelayMs: 10 });
}

test("a call's span continues the caller's trace; phases are its children; outgoing headers name the current phase", async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = tracerWith(exporter);
  const call = tracer.start({ mode: 'execute', door: 'http', parent: { traceparent: `00-${TRACE}-${CALLER}-01` } });
  assert.equal(call.w3cTraceId, TRACE);
  assert.equal(call.continued, true);
  const authorize = call.startPhase('authorize');
  authorize.end();
  const execute = call.startPhase('execute');
  const outgoing = call.outgoing().traceparent ?? '';
  execute.end('ERR_CONNECTOR_NETWORK');
  call.end({ ...summary, outcome: 'allow', errorType: 'ERR_CONNECTOR_NETWORK' });
  await tracer.forceFlush();
  const spans = exporter.getFinishedSpans();
  const byName = new Map(spans.map((s) => [s.name, s] as [string, ReadableSpan]));
  const root = byName.get('execute_tool crm.getCustomer');
  assert.ok(root);
  assert.equal(root.parentSpanContext?.spanId, CALLER);
  assert.equal(byName.get('authorize')?.parentSpanContext?.spanId, root.spanContext().spanId);
  const executeSpan = byName.get('execute');
  assert.equal(outgoing, `00-${TRACE}-${executeSpan?.spanContext().spanId}-01`);
  assert.equal(executeSpan?.attributes['error.type'], 'ERR_CONNECTOR_NETWORK');
  assert.equal(executeSpan?.status.code, 2);
  assert.equal(root.status.code, 2);
  assert.equal(root.resource.attributes['service.name'], 'svc');
  await tracer.shutdown();
});

test('without a traceparent a new trace starts; an unsampled caller is followed (nothing recorded, flags 00 passed on)', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = tracerWith(exporter);
  const fresh = tracer.start({ mode: 'decide' });
  assert.equal(fresh.continued, false);
  assert.match(fresh.w3cTraceId ?? '', /^[0-9a-f]{32}$/);
  fresh.end({ ...summary, tool: null });
  const unsampled = tracer.start({ mode: 'decide', parent: { traceparent: `00-${TRACE}-${CALLER}-00` } });
  unsampled.startPhase('execute');
  assert.match(unsampled.outgoing().traceparent ?? '', new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
  unsampled.end(summary);
  await tracer.forceFlush();
  assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['airlock.decide']);
  await tracer.shutdown();
});

test('tracing off: the caller\'s traceparent passes through untouched; without one nothing is sent', () => {
  const traceparent = `00-${TRACE}-${CALLER}-01`;
  const call = PASSTHROUGH_TRACER.start({ mode: 'execute', parent: { traceparent, tracestate: 'k=v' } });
  assert.equal(call.w3cTraceId, TRACE);
  call.startPhase('execute').end();
  assert.deepEqual(call.outgoing(), { traceparent, tracestate: 'k=v' });
  const none = PASSTHROUGH_TRACER.start({ mode: 'execute' });
  assert.equal(none.w3cTraceId, null);
  assert.deepEqual(none.outgoing(), {});
});

test('a failing exporter is reported once per outage', async () => {
  let fail = true;
  const reports: string[] = [];
  const exporter: SpanExporter = {
    export: (_spans, done) => done(fail ? { code: ExportResultCode.FAILED, error: new Error('collector said 400') } : { code: ExportResultCode.SUCCESS }),
    shutdown: () => Promise.resolve(),
  };
  const tracer = createOtelTracer({ serviceName: 's', serviceVersion: '1', sampleRatio: 1, exporter, scheduledDelayMs: 10, onExportFault: (m) => reports.push(m) });
  const oneCall = async () => {
    tracer.start({ mode: 'decide' }).end(summary);
    // A failed export rejects the flush; the report is what the gateway logs.
    await tracer.forceFlush().catch(() => undefined);
  };
  await oneCall();
  await oneCall();
  assert.equal(reports.length, 1);
  assert.match(reports[0] ?? '', /collector said 400/);
  fail = false;
  await oneCall();
  fail = true;
  await oneCall();
  assert.equal(reports.length, 2, 'a new outage is reported again');
  await tracer.shutdown();
});

test('dropped spans are told with their count and reason: a full queue, and a batch the exporter did not take', async () => {
  const drops: Array<[number, string]> = [];
  const stuck: SpanExporter = { export: () => undefined, shutdown: () => Promise.resolve() };
  const full = createOtelTracer({ serviceName: 's', serviceVersion: '1', sampleRatio: 1, exporter: stuck, scheduledDelayMs: 10, onSpansDropped: (n, reason) => drops.push([n, reason]) });
  // Two batches of 512 in flight (never answered), 8,192 spans queued: the rest is dropped.
  for (let i = 0; i < 512 * 2 + 8_192 + 5; i++) full.start({ mode: 'decide' }).end(summary);
  assert.deepEqual(drops, Array.from({ length: 5 }, () => [1, 'queue_full']));

  drops.length = 0;
  const refusing: SpanExporter = { export: (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error('no') }), shutdown: () => Promise.resolve() };
  const failed = createOtelTracer({ serviceName: 's', serviceVersion: '1', sampleRatio: 1, exporter: refusing, scheduledDelayMs: 10, onSpansDropped: (n, reason) => drops.push([n, reason]) });
  const call = failed.start({ mode: 'decide' });
  call.startPhase('identify').end();
  call.startPhase('authorize').end();
  call.end(summary);
  await failed.forceFlush().catch(() => undefined);
  assert.deepEqual(drops, [[3, 'export_failed']]);
  await failed.shutdown();
});

test('phase span ids are drawn only when a request goes out under a phase; every exported span still has its own valid id', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = tracerWith(exporter);
  const call = tracer.start({ mode: 'execute', door: 'http' });
  for (const name of ['identify', 'screen', 'authorize']) call.startPhase(name).end();
  const execute = call.startPhase('execute');
  const first = call.outgoing().traceparent ?? '';
  const second = call.outgoing().traceparent ?? '';
  execute.end();
  call.startPhase('record_result').end();
  assert.equal(first, second, 'one phase, one span id, however many requests go out under it');
  call.end({ ...summary, tool: 'crm.getCustomer', auditTraceId: `trc_${call.w3cTraceId}` });
  await tracer.forceFlush();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 6);
  const ids = spans.map((s) => s.spanContext().spanId);
  for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, 6);
  assert.equal(first, `00-${call.w3cTraceId}-${spans.find((s) => s.name === 'execute')?.spanContext().spanId}-01`);
  await tracer.shutdown();
});
