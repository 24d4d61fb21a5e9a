/**
 * Where span batches go: an OpenTelemetry SpanExporter in this thread (a host's exporter, or
 * tests'), or OTLP/HTTP on a thread of its own (the gateway's default: the OTLP JSON is written
 * and sent there, never on the event loop that serves calls; see export.worker.ts). The thread
 * is unref'd while idle.
 */
import { Worker } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { SCOPE_NAME, expandCall, toReadableSpan } from './span-record.ts';
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

export interface OtlpEndpoint extends ServiceIdentity {
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

const encoder = new TextEncoder();

/** `.ts` when this runs from the sources, `.js` once compiled (the published package). */
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
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
        const id = nextId++;
        pending.set(id, { done, fail });
        const thread = start();
        thread.ref();
        // The batch crosses as UTF-8 JSON in a transferred buffer: no clone of every record on this thread.
        const bytes = encoder.encode(JSON.stringify(calls));
        thread.postMessage({ type: 'spans', id, calls: bytes }, [bytes.buffer]);
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
