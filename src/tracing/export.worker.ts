/**
 * The span export thread: turns a batch that the event loop's thread transferred (see
 * transports.ts) into an OTLP/HTTP export request and sends it to the collector
 * (otlp-http.ts). With protobuf the batch holds the spans already written (otlp-proto.ts): this
 * thread puts the resource and scope around them; with JSON it holds call records as JSON
 * lines, and the OTLP JSON is written here from them (otlp-json.ts). Either way into a reused
 * buffer. Answers each batch with ok or why the collector did not take it, handing the batch's
 * buffer back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOtlpHttpSender } from './otlp-http.ts';
import * as json from './otlp-json.ts';
import * as proto from './otlp-proto.ts';
import type { OtlpEndpoint } from './transports.ts';

const endpoint = workerData as OtlpEndpoint;
const service = { serviceName: endpoint.serviceName, serviceVersion: endpoint.serviceVersion };
const isJson = endpoint.protocol === 'http/json';
const sender = createOtlpHttpSender({ ...endpoint, contentType: isJson ? 'application/json' : 'application/x-protobuf' });
const jsonHead = json.exportRequestHead(service);
const protoHead = proto.exportRequestHead(service);

/** One export request's body from a batch, in `body` or a larger buffer (the one returned). */
function exportRequest(batch: Uint8Array, body: Buffer): { body: Uint8Array; length: number } {
  return isJson ? json.writeExportRequest(batch, jsonHead, body) : proto.writeExportRequest(batch, protoHead, body);
}

type Message = { type: 'spans'; id: number; buffer: ArrayBuffer; length: number } | { type: 'shutdown'; id: number };

/** Request bodies, reused once their request is done (at most two are in flight). */
const bodies: Buffer[] = [];

parentPort?.on('message', (message: Message) => {
  if (message.type === 'shutdown') {
    sender.close();
    parentPort?.postMessage({ id: message.id, ok: true });
    return;
  }
  const answer = (reply: { ok: boolean; error?: string }) => parentPort?.postMessage({ id: message.id, ...reply, buffer: message.buffer }, [message.buffer]);
  let request: { body: Uint8Array; length: number };
  try {
    request = exportRequest(new Uint8Array(message.buffer, 0, message.length), bodies.pop() ?? Buffer.allocUnsafeSlow(1 << 20));
  } catch (error) {
    answer({ ok: false, error: `the spans could not be encoded: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  const { body, length } = request;
  sender.send(body.subarray(0, length)).then(
    () => answer({ ok: true }),
    (error: unknown) => answer({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  ).finally(() => {
    if (bodies.length < 2) bodies.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });
});
