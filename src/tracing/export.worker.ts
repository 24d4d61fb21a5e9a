/**
 * The span export thread: turns span records into the SDK's ReadableSpans and sends them with
 * OpenTelemetry's OTLP/HTTP exporter; answers each batch with ok or the exporter's error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { SCOPE_NAME, expandCall, toReadableSpan, type CallRecord } from './span-record.ts';
import type { OtlpEndpoint } from './transports.ts';

const endpoint = workerData as OtlpEndpoint;
const exporter = new OTLPTraceExporter({ url: endpoint.url, headers: endpoint.headers, timeoutMillis: endpoint.timeoutMs });
const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: endpoint.serviceName, [ATTR_SERVICE_VERSION]: endpoint.serviceVersion });
const scope = { name: SCOPE_NAME, version: endpoint.serviceVersion };

type Message = { type: 'spans'; id: number; calls: Uint8Array } | { type: 'shutdown'; id: number };
const decoder = new TextDecoder();

parentPort?.on('message', (message: Message) => {
  if (message.type === 'shutdown') {
    void exporter.shutdown().finally(() => parentPort?.postMessage({ id: message.id, ok: true }));
    return;
  }
  exporter.export(
    (JSON.parse(decoder.decode(message.calls)) as CallRecord[]).flatMap(expandCall).map((r) => toReadableSpan(r, resource, scope)),
    (result) => parentPort?.postMessage({ id: message.id, ok: result.code === ExportResultCode.SUCCESS, ...(result.error === undefined ? {} : { error: result.error.message }) }),
  );
});
