/**
 * The gateway's call tracer from config `tracing` (or a host's span exporter): OpenTelemetry
 * spans over OTLP/HTTP, header secrets resolved once at start. Without either, the
 * pass-through tracer (a caller's traceparent names the audit trace and reaches upstreams).
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AirlockError } from '../core/errors.ts';
import { packageVersion } from '../core/package-version.ts';
import type { AirlockConfig } from '../config/index.ts';
import { parseSecretRef } from '../config/index.ts';
import { PASSTHROUGH_TRACER, createOtelTracer, type CallTracer, type SpanDropReason } from '../tracing/index.ts';

export interface TracerSetup {
  config: AirlockConfig;
  secret: (ref: string) => Promise<Uint8Array>;
  /** A host's exporter: spans go there instead of to `tracing.endpoint` (tracing on). */
  spanExporter?: SpanExporter;
  onFault?: (what: string, error: unknown) => void;
  /** Told of spans dropped (queue full, export failed): the metrics' counter. */
  onSpansDropped?: (spans: number, reason: SpanDropReason) => void;
}

async function collectorHeaders(headers: Record<string, string>, secret: TracerSetup['secret']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (parseSecretRef(value) === null) {
      out[name] = value;
      continue;
    }
    const resolved = Buffer.from(await secret(value)).toString('utf8').trim();
    if (resolved === '') throw new AirlockError('ERR_CONFIG_SECRET_REF', `the secret of tracing.headers.${name} is empty`, { status: 500 });
    out[name] = resolved;
  }
  return out;
}

export async function createCallTracer(setup: TracerSetup): Promise<CallTracer> {
  const tracing = setup.config.tracing;
  const enabled = setup.spanExporter !== undefined || tracing?.enabled === true;
  if (!enabled) return PASSTHROUGH_TRACER;
  const exporter =
    setup.spanExporter ??
    (tracing === undefined
      ? undefined
      : { url: tracing.endpoint, headers: await collectorHeaders(tracing.headers, setup.secret), timeoutMs: tracing.timeoutMs, protocol: tracing.protocol });
  if (exporter === undefined) return PASSTHROUGH_TRACER;
  return createOtelTracer({
    serviceName: tracing?.serviceName ?? 'airlock',
    serviceVersion: packageVersion(),
    sampleRatio: tracing?.sampleRatio ?? 1,
    exporter,
    ...(setup.onFault === undefined ? {} : { onExportFault: (message: string) => setup.onFault?.('tracing', new Error(message)) }),
    ...(setup.onSpansDropped === undefined ? {} : { onSpansDropped: setup.onSpansDropped }),
  });
}
