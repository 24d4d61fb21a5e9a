import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { callRecord, time } from '../support/call-records.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { ATTR } from '../../src/tracing/conventions.ts';
import { createOtlpHttpSender } from '../../src/tracing/otlp-http.ts';
import { exportRequestHead, exportRequestJson, spansJson, unixNanos, writeExportRequest } from '../../src/tracing/otlp-json.ts';
import { expandCall, spanCount, type CallRecord } from '../../src/tracing/span-record.ts';
import { encodeBatch, exporterTransport } from '../../src/tracing/transports.ts';

const SERVICE = { serviceName: 'airlock-test', serviceVersion: '1.2.3' };

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

/** Drops the fields the protobuf JSON mapping lets a sender leave out (value at its default). */
function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === 0 || field === '' || (Array.isArray(field) && field.length === 0)) continue;
    out[key] = withoutDefaults(field);
  }
  return out;
}

test('unixNanos: the decimal nanoseconds of a millisecond time, rounded as the SDK does, carried into the next second', () => {
  assert.equal(unixNanos(1_765_000_000_123.5), '1765000000123500000');
  assert.equal(unixNanos(1_000), '1000000000');
  assert.equal(unixNanos(0.5), '500000');
  assert.equal(unixNanos(0), '0');
  // 999.9999999 ms past the second rounds to 1e9 ns: the next whole second.
  assert.equal(unixNanos(1_999.9999999), '2000000000');
  fc.assert(
    fc.property(time, (ms) => {
      const seconds = Math.floor(ms / 1000);
      const nanos = BigInt(seconds) * 1_000_000_000n + BigInt(Math.round((ms - seconds * 1000) * 1e6));
      assert.equal(unixNanos(ms), nanos.toString());
    }),
  );
});

test("the written OTLP JSON is what the SDK's OTLP/HTTP exporter sends for the same spans (leaving out default fields), and the receiver takes it", async () => {
  const sdk = exporterTransport(new OTLPTraceExporter({ url: receiver.url, timeoutMillis: 5_000 }), SERVICE);
  const sender = createOtlpHttpSender({ url: receiver.url, headers: {}, timeoutMs: 5_000 });
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(callRecord, { minLength: 1, maxLength: 4 }), async (calls) => {
        const spansBefore = receiver.spans.length;
        await sdk.send(calls);
        // The records cross to the export thread as JSON: encode what arrives there.
        await sender.send(exportRequestJson(SERVICE, spansJson(JSON.parse(JSON.stringify(calls)) as CallRecord[])));
        const [fromSdk, written] = receiver.bodies.slice(-2);
        assert.deepEqual(withoutDefaults(written), withoutDefaults(fromSdk));
        const expected = calls.reduce((n, call) => n + spanCount(call), 0);
        assert.equal(receiver.spans.length - spansBefore, 2 * expected, 'the receiver read every span of both requests');
      }),
      { numRuns: 60 },
    );
  } finally {
    sender.close();
    await sdk.shutdown();
  }
});

test('the receiver reads the written spans: ids, parent, kind, attributes, status and the service', async () => {
  const call: CallRecord = {
    traceId: 'a'.repeat(32),
    rootSpanId: 'b'.repeat(16),
    parentSpanId: 'c'.repeat(16),
    parentRemote: true,
    name: 'execute_tool "quoted"\ntool',
    kind: 1,
    startMs: 1_765_000_000_000.25,
    endMs: 1_765_000_000_002.5,
    attributes: { [ATTR.tenant]: 'acme\u2028"', [ATTR.outcome]: 'allow' },
    error: true,
    phases: ['authorize', 'd'.repeat(16), 1_765_000_000_000.5, 1_765_000_000_001, '', 'execute', 'e'.repeat(16), 1_765_000_000_001, 1_765_000_000_002, 'ERR_CONNECTOR_NETWORK'],
  };
  const sender = createOtlpHttpSender({ url: receiver.url, headers: { 'x-collector-key': 'k' }, timeoutMs: 5_000 });
  const before = receiver.spans.length;
  await sender.send(exportRequestJson(SERVICE, spansJson([call])));
  sender.close();
  const spans = receiver.spans.slice(before);
  assert.equal(receiver.requests.at(-1)?.headers['x-collector-key'], 'k');
  assert.deepEqual(
    spans.map((s) => [s.name, s.spanId, s.parentSpanId, s.kind, s.status.code ?? 0]),
    [
      ['execute_tool "quoted"\ntool', 'b'.repeat(16), 'c'.repeat(16), 2, 2],
      ['authorize', 'd'.repeat(16), 'b'.repeat(16), 1, 0],
      ['execute', 'e'.repeat(16), 'b'.repeat(16), 3, 2],
    ],
  );
  assert.deepEqual(spans[0]?.attributes, { [ATTR.tenant]: 'acme\u2028"', [ATTR.outcome]: 'allow' });
  assert.deepEqual(spans[2]?.attributes, { [ATTR.phase]: 'execute', [ATTR.errorType]: 'ERR_CONNECTOR_NETWORK' });
  assert.deepEqual(spans[0]?.resource, { 'service.name': 'airlock-test', 'service.version': '1.2.3' });
  assert.ok(spans.every((s) => s.traceId === 'a'.repeat(32)));
});

test('a batch crosses to the export thread as JSON lines in a buffer, and becomes the same export request there (buffers grow as needed)', () => {
  fc.assert(
    fc.property(fc.array(callRecord, { maxLength: 6 }), fc.integer({ min: 1, max: 4_096 }), (calls, size) => {
      const { buffer, length } = encodeBatch(calls, new ArrayBuffer(size));
      const { body, length: written } = writeExportRequest(new Uint8Array(buffer, 0, length), exportRequestHead(SERVICE), Buffer.alloc(size));
      assert.equal(body.subarray(0, written).toString('utf8'), exportRequestJson(SERVICE, spansJson(calls)));
    }),
  );
});

test('a phase recorded without a span id (no request went out under it) gets a fresh one where it is exported, kept in the record', () => {
  const phases = (ids: string[]) => ids.flatMap((id, i) => [`phase${i}`, id, 1_765_000_000_000 + i, 1_765_000_000_000.5 + i, '']);
  const call = (ids: string[]): CallRecord => ({
    traceId: 'a'.repeat(32),
    rootSpanId: 'b'.repeat(16),
    parentSpanId: '',
    parentRemote: false,
    name: 'airlock.decide t',
    kind: 1,
    startMs: 1_765_000_000_000,
    endMs: 1_765_000_000_010,
    attributes: {},
    error: false,
    phases: phases(ids),
  });
  const written = call(['', 'e'.repeat(16), '', '']);
  const body = JSON.parse(exportRequestJson(SERVICE, spansJson([written]))) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string; parentSpanId?: string }> }> }> };
  const spans = body.resourceSpans[0]?.scopeSpans[0]?.spans ?? [];
  assert.equal(spans.length, 5);
  const ids = spans.map((s) => s.spanId);
  for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, 5);
  assert.equal(ids[2], 'e'.repeat(16), 'an id drawn on the event loop is kept');
  assert.ok(spans.slice(1).every((s) => s.parentSpanId === 'b'.repeat(16)));
  assert.deepEqual(ids.slice(1), [1, 6, 11, 16].map((i) => written.phases[i]), 'the drawn ids are kept in the record');
  assert.equal(spansJson([written]), spansJson([written]), 'so the same record exports the same spans again');
  // The host exporter's path draws them the same way.
  const hosted = call(['', '']);
  const expanded = expandCall(hosted);
  assert.deepEqual(expanded.slice(1).map((s) => s.spanId), [hosted.phases[1], hosted.phases[6]]);
  for (const span of expanded) assert.match(span.spanId, /^(?!0{16})[0-9a-f]{16}$/);
});
