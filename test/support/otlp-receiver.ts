/**
 * Test fixture: an OTLP/HTTP trace receiver (`POST /v1/traces`, in either OTLP/HTTP encoding:
 * `application/x-protobuf` or `application/json`), keeping every span it received, flattened.
 * Protobuf bodies are decoded into the JSON encoding's shape (otlp-proto-decode.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeTraceExportRequest } from './otlp-proto-decode.ts';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number };
  resource: Record<string, string | number | boolean>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  /** Requests received, with their headers (to check the configured collector headers). */
  requests: Array<{ headers: Record<string, string | string[] | undefined> }>;
  /** Every accepted export request's body, parsed (protobuf decoded to the JSON shape; to compare encodings). */
  bodies: unknown[];
  /** Answers every export with this status from now on (200 when null). */
  failWith(status: number | null): void;
  /** Answers the next `times` exports with `status` (and `retry-after`, when given), then 200 again. */
  failNext(status: number, times: number, retryAfter?: string): void;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value: AnyValue };

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? '';
  }
  return out;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const bodies: unknown[] = [];
  let failing: number | null = null;
  let failures: { status: number; times: number; retryAfter?: string } | null = null;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ headers: req.headers });
      if (failing !== null) {
        res.writeHead(failing).end();
        return;
      }
      if (failures !== null && failures.times > 0) {
        failures.times--;
        res.writeHead(failures.status, failures.retryAfter === undefined ? {} : { 'retry-after': failures.retryAfter }).end();
        return;
      }
      const type = String(req.headers['content-type']);
      const protobuf = type === 'application/x-protobuf';
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !(protobuf || type.startsWith('application/json'))) {
        res.writeHead(415).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      let parsed: unknown;
      try {
        parsed = protobuf ? decodeTraceExportRequest(raw) : JSON.parse(raw.toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const body = parsed as {
        resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }>;
      };
      bodies.push(body);
      for (const rs of body.resourceSpans ?? []) {
        const resource = attributes(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: String(s.parentSpanId ?? ''),
              name: String(s.name),
              kind: Number(s.kind),
              attributes: attributes(s.attributes as KeyValue[] | undefined),
              status: (s.status ?? {}) as { code?: number },
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    requests,
    bodies,
    failWith: (status) => {
      failing = status;
    },
    failNext: (status, times, retryAfter) => {
      failures = { status, times, ...(retryAfter === undefined ? {} : { retryAfter }) };
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
