/** OpenTelemetry traces of tool calls and W3C Trace Context at the doors (see docs/tracing.md). */
export { PASSTHROUGH_TRACER, createOtelTracer } from './call-tracer.ts';
export type { CallDoor, CallMode, CallSummary, CallTrace, CallTraceStart, CallTracer, OtelTracerOptions, PhaseTrace } from './call-tracer.ts';
export { auditLookupId, auditTraceId, parentSpanContext } from './traceparent.ts';
export type { TraceContextCarrier } from './traceparent.ts';
export type { SpanDropReason } from './span-queue.ts';
