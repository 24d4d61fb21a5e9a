/**
 * The OTLP/HTTP protobuf encoding of the gateway's spans (src/tracing/otlp-proto.ts): byte for
 * byte what the OpenTelemetry SDK's protobuf serializer writes for the same spans, sent by the
 * export thread with the protobuf media type, and read back by a real receiver.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { callRecord } from '../support/call-records.ts';
import { decodeTraceExportRequest } from '../support/otlp-proto-decode.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { ATTR } from '../../src/tracing/conventions.ts';
import { exportRequestHead, writeExportRequest, writeSpans } from '../../src/tracing/otlp-proto.ts';
import { SCOPE_NAME, expandCall, spanCount, toReadableSpan, type CallRecord } from '../../src/tracing/span-record.ts';
import { encodeProtoBatch, workerTransport, type OtlpProtocol } from '../../src/tracing/transports.ts';

const SERVICE = { serviceName: 'airlock-test', serviceVersion: '1.2.3' };
const RESOURCE = resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE.serviceName, [ATTR_SERVICE_VERSION]: SERVICE.serviceVersion });
const SCOPE = { name: SCOPE_NAME, version: SERVICE.serviceVersion };

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

/** The export request the gateway writes for `calls`, starting from a buffer of `size` bytes. */
function written(calls: readonly CallRecord[], size = 1 << 16): Uint8Array {
  const { bytes, length } = writeSpans(calls, new Uint8Array(size));
  const { body, length: total } = writeExportRequest(bytes.subarray(0, length), exportRequestHead(SERVICE), new Uint8Array(size));
  return body.slice(0, total);
}

function sdkRequest(calls: readonly CallRecord[]): Uint8Array {
  const bytes = ProtobufTraceSerializer.serializeRequest(calls.flatMap((call) => expandCall(call)).map((r) => toReadableSpan(r, RESOURCE, SCOPE)));
  assert.ok(bytes !== undefined);
  return bytes;
}

const call = (overrides: Partial<CallRecord> = {}): CallRecord => ({
  traceId: 'a'.repeat(32),
  rootSpanId: 'b'.repeat(16),
  parentSpanId: 'c'.repeat(16),
  parentRemote: true,
  name: 'execute_tool crm.lookup',
  kind: 1,
  startMs: 1_765_000_000_000.25,
  endMs: 1_765_000_000_002.5,
  attributes: { [ATTR.tenant]: 'acme', [ATTR.outcome]: 'allow' },
  error: false,
  phases: ['authorize', 'd'.repeat(16), 1_765_000_000_000.5, 1_765_000_000_001, '', 'execute', 'e'.repeat(16), 1_765_000_000_001, 1_765_000_000_002, 'ERR_CONNECTOR_NETWORK'],
  ...overrides,
});

test("the written protobuf request is byte for byte the SDK serializer's for the same spans, from any starting buffer size", () => {
  fc.assert(
    fc.property(fc.array(callRecord, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 2_048 }), (calls, size) => {
      assert.deepEqual(Buffer.from(written(calls, size)), Buffer.from(sdkRequest(calls)));
    }),
    { numRuns: 300 },
  );
});

test('lengths of two and three bytes (a span over 127 bytes, an attribute over 16 KiB) and times across the nanosecond carry match the SDK too', () => {
  const long = call({ attributes: { [ATTR.tenant]: 'x'.repeat(20_000), [ATTR.agent]: 'é'.repeat(9_000), [ATTR.rule]: '\ud800 lone surrogate' } });
  const carry = call({ startMs: 1_999.9999999, endMs: 4_102_444_800_999.9999999 });
  for (const calls of [[long], [carry], [long, carry, call({ parentSpanId: '', parentRemote: false })]]) {
    assert.deepEqual(Buffer.from(written(calls, 8)), Buffer.from(sdkRequest(calls)));
  }
  const decoded = decodeTraceExportRequest(written([carry]));
  const spans = (decoded.resourceSpans[0]?.scopeSpans as Array<{ spans: Array<Record<string, unknown>> }>)[0]?.spans ?? [];
  assert.equal(spans[0]?.startTimeUnixNano, '2000000000');
  assert.equal(spans[0]?.endTimeUnixNano, '4102444801000000000');
});

test('a phase recorded without a span id gets a fresh random one as it is written: 8 bytes, never zero, distinct, the root as parent', () => {
  const phases = ['', '', '', 'e'.repeat(16)].flatMap((id, i) => [`phase${i}`, id, 1_765_000_000_000 + i, 1_765_000_000_000.5 + i, '']);
  const decoded = decodeTraceExportRequest(written([call({ phases })]));
  const spans = (decoded.resourceSpans[0]?.scopeSpans as Array<{ spans: Array<{ spanId: string; parentSpanId?: string }> }>)[0]?.spans ?? [];
  assert.equal(spans.length, 5);
  const ids = spans.map((s) => s.spanId);
  for (const id of ids) assert.match(id, /^(?!0{16})[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, 5);
  assert.equal(ids[4], 'e'.repeat(16), 'an id drawn on the event loop is kept');
  assert.ok(spans.slice(1).every((s) => s.parentSpanId === 'b'.repeat(16)));
});

test('a batch written into a pooled buffer grows it as needed and holds every span', () => {
  const calls = Array.from({ length: 40 }, (_, i) => call({ rootSpanId: (i + 1).toString(16).padStart(16, '0') }));
  const { buffer, length } = encodeProtoBatch(calls, new ArrayBuffer(64));
  assert.ok(buffer.byteLength >= length && length > 64);
  const { body, length: total } = writeExportRequest(new Uint8Array(buffer, 0, length), exportRequestHead(SERVICE), new Uint8Array(16));
  assert.deepEqual(Buffer.from(body.subarray(0, total)), Buffer.from(sdkRequest(calls)));
});

test('an id that is not lowercase hex fails the write with a clear error instead of sending garbage', () => {
  assert.throws(() => written([call({ traceId: 'A'.repeat(32) })]), /not a lowercase hex id of 16 bytes/);
});

for (const protocol of ['http/protobuf', 'http/json'] as OtlpProtocol[]) {
  test(`the export thread sends ${protocol} with its media type, and the receiver reads the same spans`, async () => {
    const transport = workerTransport({ url: receiver.url, headers: { 'x-collector-key': 'k' }, timeoutMs: 5_000, protocol, ...SERVICE });
    const before = receiver.spans.length;
    const requestsBefore = receiver.requests.length;
    try {
      const calls = [call(), call({ traceId: 'f'.repeat(32), parentSpanId: '', error: true, name: 'airlock.decide support.\u00e9' })];
      await transport.send(calls);
      const spans = receiver.spans.slice(before);
      assert.equal(spans.length, calls.reduce((n, c) => n + spanCount(c), 0));
      const request = receiver.requests[requestsBefore];
      assert.equal(request?.headers['content-type'], protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
      assert.equal(request?.headers['x-collector-key'], 'k');
      assert.deepEqual(
        spans.map((s) => [s.traceId, s.name, s.spanId, s.parentSpanId, s.kind, s.status.code ?? 0]),
        [
          ['a'.repeat(32), 'execute_tool crm.lookup', 'b'.repeat(16), 'c'.repeat(16), 2, 0],
          ['a'.repeat(32), 'authorize', 'd'.repeat(16), 'b'.repeat(16), 1, 0],
          ['a'.repeat(32), 'execute', 'e'.repeat(16), 'b'.repeat(16), 3, 2],
          ['f'.repeat(32), 'airlock.decide support.\u00e9', 'b'.repeat(16), '', 2, 2],
          ['f'.repeat(32), 'authorize', 'd'.repeat(16), 'b'.repeat(16), 1, 0],
          ['f'.repeat(32), 'execute', 'e'.repeat(16), 'b'.repeat(16), 3, 2],
        ],
      );
      assert.deepEqual(spans[0]?.attributes, { [ATTR.tenant]: 'acme', [ATTR.outcome]: 'allow' });
      assert.deepEqual(spans[2]?.attributes, { [ATTR.phase]: 'execute', [ATTR.errorType]: 'ERR_CONNECTOR_NETWORK' });
      assert.deepEqual(spans[0]?.resource, { 'service.name': 'airlock-test', 'service.version': '1.2.3' });
    } finally {
      await transport.shutdown();
    }
  });
}

test('a batch that cannot be encoded fails its send with the reason, and the thread goes on with the next', async () => {
  const transport = workerTransport({ url: receiver.url, headers: {}, timeoutMs: 5_000, protocol: 'http/protobuf', ...SERVICE });
  const requestsBefore = receiver.requests.length;
  try {
    await assert.rejects(transport.send([call({ rootSpanId: 'not-hex-at-all!!' })]), /could not be encoded: not a lowercase hex id of 8 bytes/);
    assert.equal(receiver.requests.length, requestsBefore, 'nothing was sent');
    await transport.send([call()]);
    assert.equal(receiver.requests.length, requestsBefore + 1);
  } finally {
    await transport.shutdown();
  }
});
