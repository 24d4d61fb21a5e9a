/**
 * Where span batches go: an OpenTelemetry SpanExporter in this thread (a host's exporter, or
 * tests'), or OTLP/HTTP from a thread of its own (the gateway's default; see export.worker.ts).
 * With protobuf (the default) the spans are written here, straight from the records into a
 * pooled buffer (otlp-proto.ts), and the thread wraps and sends them; with JSON the records
 * cross as JSON lines and the OTLP JSON is written there. The thread is unref'd while idle.
 */
import { Worker } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { writeSpans } from './otlp-proto.ts';
import { SCOPE_NAME, expandCall, toReadableSpan, type CallRecord } from './span-record.ts';
import type { SpanTransport } from './span-queue.ts';

export interface ServiceIdentity {
  serviceName: string;
  serviceVersion: string;
}

export function exporterTransport(exporter: SpanExporter, service: ServiceIdentity): SpanTransport {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: service.serviceName, [ATTR_SERVICE_VERSION]: service.serviceVersion });
  const scope = { name: SCOPE_NAME, version: service.serviceVersion };
  return {
    send: (calls) =>
      new Promise((done, fail) => {
        exporter.export(
          calls.flatMap(expandCall).map((r) => toReadableSpan(r, resource, scope)),
          (result) => (result.code === ExportResultCode.SUCCESS ? done() : fail(result.error ?? new Error('export failed'))),
        );
      }),
    shutdown: () => exporter.shutdown(),
  };
}

/** The OTLP/HTTP encodings: binary protobuf (OTLP's default) or JSON. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpEndpoint extends ServiceIdentity {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  protocol: OtlpProtocol;
}

const encoder = new TextEncoder();

/**
 * The buffers batches cross to the export thread in: each goes there transferred (no copy) and
 * comes back with the answer, so a batch allocates nothing large on this thread — no big
 * string, no fresh external memory (both of which make the garbage collector work harder).
 */
const pool: ArrayBuffer[] = [];
const POOL_MAX = 4;
const FIRST_BUFFER_BYTES = 1 << 20;

/** A batch as newline-separated JSON of its call records, written into a pooled buffer. */
export function encodeBatch(calls: readonly CallRecord[], buffer: ArrayBuffer = pool.pop() ?? new ArrayBuffer(FIRST_BUFFER_BYTES)): { buffer: ArrayBuffer; length: number } {
  let bytes = new Uint8Array(buffer);
  let length = 0;
  for (const call of calls) {
    const json = JSON.stringify(call);
    // UTF-8 needs at most 3 bytes per UTF-16 unit, and the newline one.
    const needed = length + json.length * 3 + 1;
    if (needed > bytes.length) {
      const larger = new Uint8Array(Math.max(bytes.length * 2, needed));
      larger.set(bytes.subarray(0, length));
      bytes = larger;
    }
    length += encoder.encodeInto(json, bytes.subarray(length)).written;
    bytes[length++] = 0x0a;
  }
  return { buffer: bytes.buffer as ArrayBuffer, length };
}

/** A batch as OTLP protobuf spans (`ScopeSpans.spans` entries), written into a pooled buffer. */
export function encodeProtoBatch(calls: readonly CallRecord[], buffer: ArrayBuffer = pool.pop() ?? new ArrayBuffer(FIRST_BUFFER_BYTES)): { buffer: ArrayBuffer; length: number } {
  const { bytes, length } = writeSpans(calls, new Uint8Array(buffer));
  return { buffer: bytes.buffer as ArrayBuffer, length };
}

/** A buffer back from the export thread, for the next batch. */
function release(buffer: ArrayBuffer | undefined): void {
  if (buffer !== undefined && buffer.byteLength > 0 && pool.length < POOL_MAX) pool.push(buffer);
}

/** `.ts` when this runs from the sources, `.js` once compiled (the published package). */
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  /** The batch's buffer, handed back. */
  buffer?: ArrayBuffer;
}

export function workerTransport(endpoint: OtlpEndpoint): SpanTransport {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { done: () => void; fail: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const { fail } of pending.values()) fail(error);
    pending.clear();
  };
  const start = (): Worker => {
    if (worker !== null) return worker;
    const started = new Worker(new URL(`./export.worker${OWN_EXTENSION}`, import.meta.url), { workerData: endpoint });
    started.on('message', (reply: Reply) => {
      release(reply.buffer);
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiting?.done();
      else waiting?.fail(new Error(reply.error ?? 'export failed'));
      if (pending.size === 0) started.unref();
    });
    started.on('error', (error) => failAll(error));
    started.on('exit', (code) => {
      if (worker === started) worker = null;
      failAll(new Error(`the span export thread exited (${code})`));
    });
    worker = started;
    return started;
  };
  return {
    send: (calls) =>
      new Promise((done, fail) => {
        // The batch crosses in a transferred buffer (protobuf spans, or JSON lines): no clone of every record.
        let encoded: { buffer: ArrayBuffer; length: number };
        try {
          encoded = endpoint.protocol === 'http/json' ? encodeBatch(calls) : encodeProtoBatch(calls);
        } catch (error) {
          fail(new Error(`the spans could not be encoded: ${error instanceof Error ? error.message : String(error)}`));
          return;
        }
        const id = nextId++;
        pending.set(id, { done, fail });
        const thread = start();
        thread.ref();
        thread.postMessage({ type: 'spans', id, buffer: encoded.buffer, length: encoded.length }, [encoded.buffer]);
      }),
    shutdown: async () => {
      const thread = worker;
      if (thread === null) return;
      await new Promise<void>((done) => {
        const id = nextId++;
        pending.set(id, { done, fail: () => done() });
        thread.ref();
        thread.postMessage({ type: 'shutdown', id });
      });
      worker = null;
      await thread.terminate();
    },
  };
}
