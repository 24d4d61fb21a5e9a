/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) at the doors: the `traceparent`
 * and `tracestate` a caller sends (HTTP headers, or MCP `params._meta`), parsed by
 * OpenTelemetry's W3C propagator, and the audit trace id derived from a W3C trace id.
 * A malformed traceparent is ignored, as the specification asks: the call starts a new trace.
 */
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** What a caller sent: the two W3C headers, verbatim. */
export interface TraceContextCarrier {
  traceparent: string;
  tracestate?: string;
}

const propagator = new W3CTraceContextPropagator();
/** A traceparent is 55 characters; anything much longer is not one (and is not parsed). */
const MAX_TRACEPARENT = 128;
/** The specification's limit for tracestate (32 members of at most 256 characters, and commas). */
const MAX_TRACESTATE = 8_224;

/** The caller's span context, or null when `carrier` is absent or not a valid traceparent. */
export function parentSpanContext(carrier: TraceContextCarrier | undefined): SpanContext | null {
  if (carrier === undefined || typeof carrier.traceparent !== 'string' || carrier.traceparent.length > MAX_TRACEPARENT) return null;
  const headers: Record<string, string> = { traceparent: carrier.traceparent };
  if (typeof carrier.tracestate === 'string' && carrier.tracestate.length <= MAX_TRACESTATE) headers.tracestate = carrier.tracestate;
  const context = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = trace.getSpanContext(context);
  return span !== undefined && isSpanContextValid(span) ? span : null;
}

/** The headers that carry `context`'s span to the next hop (empty when it has none). */
export function propagationHeaders(context: Context): Partial<TraceContextCarrier> {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

/** The headers for a span context (the caller's, passed through when tracing is off). */
export function headersOf(spanContext: SpanContext): Partial<TraceContextCarrier> {
  return propagationHeaders(trace.setSpanContext(ROOT_CONTEXT, spanContext));
}

/** The audit trace id of a W3C trace: `trc_` and the 32 hex digits, so either finds the other. */
export function auditTraceId(w3cTraceId: string): string {
  return `trc_${w3cTraceId}`;
}

const W3C_TRACE_ID = /^[0-9a-f]{32}$/;

/** An id to look up in the audit log: a bare W3C trace id (from a tracing UI) becomes its audit trace id. */
export function auditLookupId(id: string): string {
  return W3C_TRACE_ID.test(id) && id !== '0'.repeat(32) ? auditTraceId(id) : id;
}
