/**
 * The span export thread: turns a batch of call records (newline-separated JSON in a buffer the
 * event loop's thread transferred, see transports.ts) into the OTLP/HTTP JSON export request,
 * written straight from the records (otlp-json.ts) into a reused buffer, and sends it to the
 * collector (otlp-http.ts). Answers each batch with ok or why the collector did not take it,
 * handing the batch's buffer back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOtlpHttpSender } from './otlp-http.ts';
import { exportRequestHead, writeExportRequest } from './otlp-json.ts';
import type { OtlpEndpoint } from './transports.ts';

const endpoint = workerData as OtlpEndpoint;
const sender = createOtlpHttpSender(endpoint);
const head = exportRequestHead({ serviceName: endpoint.serviceName, serviceVersion: endpoint.serviceVersion });

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
  let request: { body: Buffer; length: number };
  try {
    request = writeExportRequest(new Uint8Array(message.buffer, 0, message.length), head, bodies.pop() ?? Buffer.allocUnsafeSlow(1 << 20));
  } catch (error) {
    answer({ ok: false, error: `the spans could not be encoded: ${error instanceof Error ? error.message : String(error)}` });
    return;
  }
  const { body, length } = request;
  sender.send(body.subarray(0, length)).then(
    () => answer({ ok: true }),
    (error: unknown) => answer({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  ).finally(() => {
    if (bodies.length < 2) bodies.push(body);
  });
});
