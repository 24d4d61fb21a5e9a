/**
 * The span export thread: turns a batch of call records into the OTLP/HTTP JSON export request
 * (otlp-json.ts, written directly from the records) and sends it to the collector
 * (otlp-http.ts); answers each batch with ok or why the collector did not take it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOtlpHttpSender } from './otlp-http.ts';
import { exportRequestJson, spansJson } from './otlp-json.ts';
import type { CallRecord } from './span-record.ts';
import type { OtlpEndpoint } from './transports.ts';

const endpoint = workerData as OtlpEndpoint;
const sender = createOtlpHttpSender(endpoint);
const service = { serviceName: endpoint.serviceName, serviceVersion: endpoint.serviceVersion };

type Message = { type: 'spans'; id: number; calls: Uint8Array } | { type: 'shutdown'; id: number };
const decoder = new TextDecoder();

parentPort?.on('message', (message: Message) => {
  if (message.type === 'shutdown') {
    sender.close();
    parentPort?.postMessage({ id: message.id, ok: true });
    return;
  }
  let body: string;
  try {
    body = exportRequestJson(service, spansJson(JSON.parse(decoder.decode(message.calls)) as CallRecord[]));
  } catch (error) {
    parentPort?.postMessage({ id: message.id, ok: false, error: `the spans could not be encoded: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  sender.send(body).then(
    () => parentPort?.postMessage({ id: message.id, ok: true }),
    (error: unknown) => parentPort?.postMessage({ id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
