/**
 * `tracing:` — OpenTelemetry traces of tool calls, sent over OTLP/HTTP. Absent (or
 * `enabled: false`): no spans; a caller's W3C traceparent still names the audit trace and
 * is passed on to upstreams. Header values that look like credentials must be secret
 * references; they are resolved at start.
 */
import type { PathSegment } from './locate.ts';
import type { IssueCollector } from './semantic.ts';
import { SENSITIVE_HEADER, checkSecretRef, isLoopback } from './semantic.ts';

export interface TracingConfig {
  enabled: boolean;
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`. */
  endpoint: string;
  /** Request headers for the collector; a value is a literal or a secret reference (`env:`/`file:`). */
  headers: Record<string, string>;
  serviceName: string;
  /** Fraction of new traces recorded (0..1); a caller's sampled flag is followed. */
  sampleRatio: number;
  timeoutMs: number;
  /** The OTLP/HTTP encoding: binary protobuf (OTLP's default, and cheaper to write) or JSON. */
  protocol: OtlpProtocol;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export const tracingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    enabled: { type: 'boolean' },
    endpoint: { type: 'string', pattern: '^https?://', 'x-message': 'must be an http(s) URL (the OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces)' },
    headers: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
    service_name: { type: 'string', minLength: 1, maxLength: 200 },
    sample_ratio: { type: 'number', minimum: 0, maximum: 1 },
    timeout_ms: { type: 'integer', minimum: 100, maximum: 60_000 },
    protocol: { enum: ['http/protobuf', 'http/json'], 'x-message': 'must be http/protobuf (the default) or http/json' },
  },
} as const;

type Rec = Record<string, unknown>;

/** Credentials only in secret references; headers (credentials) only over https or to a loopback collector. */
export function checkTracing(out: IssueCollector, tracing: Rec | undefined): void {
  if (tracing === undefined) return;
  const at = (...rest: PathSegment[]): PathSegment[] => ['tracing', ...rest];
  const headers = tracing.headers !== null && typeof tracing.headers === 'object' ? (tracing.headers as Rec) : {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    if (value.startsWith('env:') || value.startsWith('file:')) checkSecretRef(out, at('headers', name), value);
    else if (SENSITIVE_HEADER.test(name)) {
      out.add(at('headers', name), 'looks like a credential: use a secret reference (env:NAME or file:PATH); literal credentials are not allowed in the config file');
    }
  }
  if (typeof tracing.endpoint !== 'string') return;
  let url: URL;
  try {
    url = new URL(tracing.endpoint);
  } catch {
    out.add(at('endpoint'), 'is not a valid URL');
    return;
  }
  if (url.username !== '' || url.password !== '') out.add(at('endpoint'), 'must not carry credentials (put them in tracing.headers as a secret reference)');
  else if (url.protocol === 'http:' && Object.keys(headers).length > 0 && !isLoopback(url.hostname)) {
    out.add(at('endpoint'), 'must use https when tracing.headers are set (plain http only to a loopback collector)');
  }
}

export function normalizeTracing(raw: Rec | undefined): TracingConfig | undefined {
  if (raw === undefined) return undefined;
  return {
    enabled: (raw.enabled as boolean | undefined) ?? true,
    endpoint: raw.endpoint as string,
    headers: { ...((raw.headers as Record<string, string> | undefined) ?? {}) },
    serviceName: (raw.service_name as string | undefined) ?? 'airlock',
    sampleRatio: (raw.sample_ratio as number | undefined) ?? 1,
    timeoutMs: (raw.timeout_ms as number | undefined) ?? 10_000,
    protocol: (raw.protocol as OtlpProtocol | undefined) ?? 'http/protobuf',
  };
}
