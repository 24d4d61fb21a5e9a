/**
 * A finished span as the gateway records it on the hot path: plain data (cheap to make, and to
 * post to the export thread), turned into the OpenTelemetry SDK's ReadableSpan only where it is
 * exported. Times are wall-clock milliseconds with sub-millisecond precision.
 */
import { SpanKind, SpanStatusCode, type HrTime, type SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ATTR } from './conventions.ts';
import { newSpanId } from './ids.ts';

export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  /** The parent is the caller's span (from its traceparent), not one of ours. */
  parentRemote: boolean;
  traceState?: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Record<string, string>;
  error: boolean;
}

/**
 * One call's spans, compact: what the hot path makes and what crosses to the export thread
 * (a root span and its phases, flattened, share the trace id and the root as parent).
 */
export interface CallRecord extends Omit<SpanRecord, 'spanId'> {
  /** The call's own span; `parentSpanId` is its parent (the caller's span, or empty). */
  rootSpanId: string;
  /**
   * Per phase, five values: name, span id, start ms, end ms, error type ('' when none). The
   * span id is '' when nobody needed it while the phase ran (no request went out under it):
   * it is drawn where the record is exported (`phaseSpanId`), not on the event loop.
   */
  phases: Array<string | number>;
}

export const PHASE_FIELDS = 5;

/** The number of spans a call record holds. */
export function spanCount(call: CallRecord): number {
  return 1 + call.phases.length / PHASE_FIELDS;
}

/** The span id of the phase whose fields start at `i`, drawn (and kept in the record) if it has none yet. */
export function phaseSpanId(phases: Array<string | number>, i: number): string {
  const id = String(phases[i + 1]);
  if (id !== '') return id;
  const drawn = newSpanId();
  phases[i + 1] = drawn;
  return drawn;
}

/** A call record's spans: the root first, then its phases (children of the root). */
export function expandCall(call: CallRecord): SpanRecord[] {
  const root: SpanRecord = {
    traceId: call.traceId,
    spanId: call.rootSpanId,
    parentSpanId: call.parentSpanId,
    parentRemote: call.parentRemote,
    ...(call.traceState === undefined ? {} : { traceState: call.traceState }),
    name: call.name,
    kind: call.kind,
    startMs: call.startMs,
    endMs: call.endMs,
    attributes: call.attributes,
    error: call.error,
  };
  const spans = [root];
  for (let i = 0; i < call.phases.length; i += PHASE_FIELDS) {
    const name = String(call.phases[i]);
    const errorType = String(call.phases[i + 4]);
    spans.push({
      traceId: call.traceId,
      spanId: phaseSpanId(call.phases, i),
      parentSpanId: call.rootSpanId,
      parentRemote: false,
      name,
      kind: name === 'execute' ? SpanKind.CLIENT : SpanKind.INTERNAL,
      startMs: Number(call.phases[i + 2]),
      endMs: Number(call.phases[i + 3]),
      attributes: errorType === '' ? { [ATTR.phase]: name } : { [ATTR.phase]: name, [ATTR.errorType]: errorType },
      error: errorType !== '',
    });
  }
  return spans;
}

/** Wall-clock time in milliseconds, with the monotonic clock's sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

const SAMPLED = 1;

/** The instrumentation scope of every span the gateway makes. */
export const SCOPE_NAME = 'airlock';

export function toReadableSpan(record: SpanRecord, resource: Resource, scope: { name: string; version: string }): ReadableSpan {
  const context: SpanContext = { traceId: record.traceId, spanId: record.spanId, traceFlags: SAMPLED };
  const parent: SpanContext | undefined =
    record.parentSpanId === '' ? undefined : { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: SAMPLED, isRemote: record.parentRemote };
  const durationMs = Math.max(0, record.endMs - record.startMs);
  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    ...(parent === undefined ? {} : { parentSpanContext: parent }),
    startTime: hrTime(record.startMs),
    endTime: hrTime(record.endMs),
    duration: [Math.floor(durationMs / 1000), Math.round((durationMs % 1000) * 1e6)],
    status: { code: record.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
    attributes: record.attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
