/**
 * One span per tool call and one per pipeline phase, exported over OTLP/HTTP when tracing is on.
 * The call's span is a child of the caller's W3C `traceparent` when one came with the call; the
 * execute phase's span is what an upstream sees as its parent. With tracing off, a caller's
 * traceparent still names the audit trace and is passed through to upstreams unchanged, at no
 * cost beyond parsing it.
 *
 * The hot path is cheap on purpose: a span is a plain record (ids from a pooled CSPRNG, two
 * clock reads), sampled by OpenTelemetry's parent-based trace-id-ratio rule; records become
 * OTLP only as they leave in batches (span-queue.ts): written straight from the records as
 * protobuf spans, sent from a thread of their own (transports.ts, otlp-proto.ts; or OTLP JSON
 * written on that thread, otlp-json.ts); a host's
 * SpanExporter gets the SDK's ReadableSpans. Nothing is registered globally, so a host
 * application's OpenTelemetry setup and the gateway's do not replace each other.
 */
import { ROOT_CONTEXT, SpanKind, type SpanContext } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR, GEN_AI_EXECUTE_TOOL, MCP_TOOLS_CALL } from './conventions.ts';
import { newSpanId, newTimeOrderedTraceId } from './ids.ts';
import { nowMs } from './span-record.ts';
import { SpanQueue, type SpanDropReason } from './span-queue.ts';
import { exporterTransport, workerTransport, type OtlpProtocol } from './transports.ts';
import { headersOf, parentSpanContext, type TraceContextCarrier } from './traceparent.ts';

export type CallDoor = 'http' | 'mcp' | 'library';
export type CallMode = 'decide' | 'execute' | 'simulate';

export interface CallTraceStart {
  mode: CallMode;
  door?: CallDoor;
  /** The caller's W3C trace context, when it sent one. */
  parent?: TraceContextCarrier;
}

/** What the call's span says once the call has ended. */
export interface CallSummary {
  /** A registered tool's name (never a caller-chosen string that named no tool). */
  tool: string | null;
  requestId: string;
  actionId: string;
  decisionId?: string;
  auditTraceId: string;
  sessionId?: string;
  tenant?: string;
  agent?: string;
  outcome?: string;
  code?: string;
  rule?: string;
  /** Set when the call failed rather than was decided: a fault, an upstream error, no identity. */
  errorType?: string;
}

export interface PhaseTrace {
  /** Ends the phase's span; `errorType` marks it failed (a fault, not a deny). */
  end(errorType?: string): void;
}

/** The tracing of one call. */
export interface CallTrace {
  /** The W3C trace id (32 hex digits) the call belongs to, or null when it is not traced. */
  readonly w3cTraceId: string | null;
  /** True when the call continues the trace of the caller's traceparent. */
  readonly continued: boolean;
  /** True when the call's spans are recorded (tracing on and sampled): `end` needs a summary. */
  readonly recording: boolean;
  startPhase(name: string): PhaseTrace;
  /** The W3C headers for a request the call makes now (the current phase is the parent). */
  outgoing(): Partial<TraceContextCarrier>;
  end(summary: CallSummary): void;
}

export interface CallTracer {
  readonly enabled: boolean;
  start(options: CallTraceStart): CallTrace;
  /** Sends every finished span now. */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NO_PHASE: PhaseTrace = { end() {} };

/** A call nobody traces and that came without a traceparent. */
const UNTRACED: CallTrace = {
  w3cTraceId: null,
  continued: false,
  recording: false,
  startPhase: () => NO_PHASE,
  outgoing: () => ({}),
  end() {},
};

/** Tracing off: a caller's traceparent names the trace and goes on to upstreams unchanged. */
export const PASSTHROUGH_TRACER: CallTracer = {
  enabled: false,
  start(options) {
    const parent = parentSpanContext(options.parent);
    if (parent === null) return UNTRACED;
    const headers = headersOf(parent);
    return { w3cTraceId: parent.traceId, continued: true, recording: false, startPhase: () => NO_PHASE, outgoing: () => headers, end() {} };
  },
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

export interface OtelTracerOptions {
  serviceName: string;
  serviceVersion: string;
  /** The fraction of new traces recorded (a caller's sampled flag is followed). */
  sampleRatio: number;
  /** Where spans go: an OTLP/HTTP endpoint (`.../v1/traces`, sent from a thread of its own), or an exporter of the host's. */
  exporter: { url: string; headers: Record<string, string>; timeoutMs: number; protocol?: OtlpProtocol } | SpanExporter;
  /** How long finished spans wait to be sent in a batch (default 500 ms). */
  scheduledDelayMs?: number;
  /** Told when an export fails or spans are dropped, once per outage (the next success ends it). */
  onExportFault?: (message: string) => void;
  /** Told of every drop, with how many spans (for a counter). */
  onSpansDropped?: (spans: number, reason: SpanDropReason) => void;
}

function spanName(mode: CallMode, door: CallDoor, tool: string | null): string {
  const base = door === 'mcp' && mode === 'execute' ? MCP_TOOLS_CALL : mode === 'execute' ? GEN_AI_EXECUTE_TOOL : `airlock.${mode}`;
  return tool === null ? base : `${base} ${tool}`;
}

function traceparentOf(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** A recorded phase while it runs. Its span id is drawn only if a request goes out under it. */
class PhaseSpan implements PhaseTrace {
  readonly #call: RecordingCallTrace;
  readonly name: string;
  readonly startMs = nowMs();
  spanId = '';

  constructor(call: RecordingCallTrace, name: string) {
    this.#call = call;
    this.name = name;
  }

  end(errorType?: string): void {
    this.#call.phaseEnded(this, nowMs(), errorType ?? '');
  }
}

class RecordingCallTrace implements CallTrace {
  readonly w3cTraceId: string;
  readonly continued: boolean;
  readonly recording: boolean;
  readonly #queue: SpanQueue | null;
  readonly #mode: CallMode;
  readonly #door: CallDoor;
  readonly #rootId: string;
  readonly #parent: SpanContext | null;
  readonly #startMs = nowMs();
  /** Five values a finished phase: name, span id ('' when none was needed), start, end, error type. */
  readonly #phases: Array<string | number> = [];
  #current: PhaseSpan | null = null;

  /** `queue` null: not sampled (ids for propagation only, nothing recorded). */
  constructor(queue: SpanQueue | null, parent: SpanContext | null, traceId: string, options: CallTraceStart) {
    this.#queue = queue;
    this.recording = queue !== null;
    this.#rootId = queue === null ? '' : newSpanId();
    this.#parent = parent;
    this.continued = parent !== null;
    this.w3cTraceId = traceId;
    this.#mode = options.mode;
    this.#door = options.door ?? 'library';
  }

  startPhase(name: string): PhaseTrace {
    // Not sampled: nothing is recorded, and an upstream gets a fresh (unrecorded) parent id.
    if (this.#queue === null) return NO_PHASE;
    const phase = new PhaseSpan(this, name);
    this.#current = phase;
    return phase;
  }

  /** Called by a phase as it ends. */
  phaseEnded(phase: PhaseSpan, endMs: number, errorType: string): void {
    if (this.#current === phase) this.#current = null;
    this.#phases.push(phase.name, phase.spanId, phase.startMs, endMs, errorType);
  }

  outgoing(): Partial<TraceContextCarrier> {
    const sampled = this.#queue !== null;
    const current = this.#current;
    // The current phase's span id is drawn only now, when a request names it as its parent.
    if (current !== null && current.spanId === '') current.spanId = newSpanId();
    const traceparent = traceparentOf(this.w3cTraceId, sampled ? (current?.spanId ?? this.#rootId) : newSpanId(), sampled);
    const tracestate = this.#parent?.traceState?.serialize();
    return tracestate === undefined || tracestate === '' ? { traceparent } : { traceparent, tracestate };
  }

  end(summary: CallSummary): void {
    if (this.#queue === null) return;
    const attributes: Record<string, string> = {
      [ATTR.mode]: this.#mode,
      [ATTR.door]: this.#door,
      [ATTR.requestId]: summary.requestId,
      [ATTR.actionId]: summary.actionId,
      [ATTR.genAiToolCallId]: summary.actionId,
      [ATTR.auditTraceId]: summary.auditTraceId,
    };
    if (this.#mode === 'execute') attributes[ATTR.genAiOperationName] = GEN_AI_EXECUTE_TOOL;
    if (this.#door === 'mcp' && this.#mode === 'execute') attributes[ATTR.mcpMethodName] = MCP_TOOLS_CALL;
    if (summary.tool !== null) attributes[ATTR.genAiToolName] = summary.tool;
    if (summary.decisionId !== undefined) attributes[ATTR.decisionId] = summary.decisionId;
    if (summary.sessionId !== undefined) attributes[ATTR.sessionId] = summary.sessionId;
    if (summary.tenant !== undefined) attributes[ATTR.tenant] = summary.tenant;
    if (summary.agent !== undefined) attributes[ATTR.agent] = summary.agent;
    if (summary.outcome !== undefined) attributes[ATTR.outcome] = summary.outcome;
    if (summary.code !== undefined) attributes[ATTR.code] = summary.code;
    if (summary.rule !== undefined) attributes[ATTR.rule] = summary.rule;
    if (summary.errorType !== undefined) attributes[ATTR.errorType] = summary.errorType;
    const traceState = this.#parent?.traceState?.serialize();
    this.#queue.push({
      traceId: this.w3cTraceId,
      rootSpanId: this.#rootId,
      parentSpanId: this.#parent?.spanId ?? '',
      parentRemote: this.#parent !== null,
      ...(traceState === undefined || traceState === '' ? {} : { traceState }),
      name: spanName(this.#mode, this.#door, summary.tool),
      kind: this.#door === 'library' ? SpanKind.INTERNAL : SpanKind.SERVER,
      startMs: this.#startMs,
      endMs: nowMs(),
      attributes,
      error: summary.errorType !== undefined,
      phases: this.#phases,
    });
  }
}

/** Spans per batch to a host's SpanExporter (the SDK's BatchSpanProcessor default). */
const HOST_BATCH_SPANS = 512;
/** Spans per batch to the export thread (OTLP/HTTP): about 150 calls, some 250 kB of protobuf (800 kB of JSON). */
const THREAD_BATCH_SPANS = 2_048;

/** Tracing on: spans of sampled calls, in batches, to the configured exporter. */
export function createOtelTracer(options: OtelTracerOptions): CallTracer {
  const service = { serviceName: options.serviceName, serviceVersion: options.serviceVersion };
  const hosted = 'export' in options.exporter;
  const transport =
    'export' in options.exporter
      ? exporterTransport(options.exporter, service)
      : workerTransport({ ...options.exporter, protocol: options.exporter.protocol ?? 'http/protobuf', ...service });
  const queue = new SpanQueue(transport, {
    delayMs: options.scheduledDelayMs ?? 500,
    // The export thread takes larger batches: each one wakes it (and costs a request), and a
    // thread woken on a busy machine takes a core from the event loop for as long as it runs.
    maxBatch: hosted ? HOST_BATCH_SPANS : THREAD_BATCH_SPANS,
    ...(options.onExportFault === undefined ? {} : { onFault: options.onExportFault }),
    ...(options.onSpansDropped === undefined ? {} : { onDrop: options.onSpansDropped }),
  });
  const ratio = new TraceIdRatioBasedSampler(options.sampleRatio);
  // At ratio 1 every new trace is kept: no need to ask the sampler.
  const keepAll = options.sampleRatio >= 1;
  return {
    enabled: true,
    start(start) {
      const parent = parentSpanContext(start.parent);
      const traceId = parent?.traceId ?? newTimeOrderedTraceId();
      // Parent-based: a caller's decision is followed; a new trace is kept at the configured ratio.
      const sampled =
        parent !== null ? (parent.traceFlags & 1) === 1 : keepAll || ratio.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
      return new RecordingCallTrace(sampled ? queue : null, parent, traceId, start);
    },
    forceFlush: () => queue.flush(),
    shutdown: () => queue.shutdown(),
  };
}
