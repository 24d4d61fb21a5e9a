/**
 * The OTLP/HTTP JSON body of a batch of call records, written directly (no ReadableSpans, no
 * object tree, no BigInt): the gateway's spans have a fixed shape, so a few string templates
 * say what the OpenTelemetry SDK's JSON serializer says for them — hex trace and span ids,
 * uint64 nanosecond times as decimal strings, kinds and status codes as enum numbers, span flags
 * with the W3C sampled bit and the is-remote bits, attributes as `{key, value: {stringValue}}`.
 * Fields at their protobuf default (no events, no links, nothing dropped) are left out, as the
 * protobuf JSON mapping allows; test/integration/otlp-json.test.ts holds the output equal to the SDK's otherwise.
 * Spec: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
 */
import { ATTR } from './conventions.ts';
import { FLAGS_LOCAL_PARENT, FLAGS_REMOTE_PARENT, KIND_CLIENT, KIND_INTERNAL, STATUS_ERROR, STATUS_UNSET } from './otlp-values.ts';
import { PHASE_FIELDS, SCOPE_NAME, phaseSpanId, type CallRecord } from './span-record.ts';


/** JSON text of strings that recur (attribute keys, phase names): quoted once. */
const quotedCache = new Map<string, string>();
const QUOTED_CACHE_MAX = 256;

function quotedConstant(value: string): string {
  let quoted = quotedCache.get(value);
  if (quoted === undefined) {
    quoted = JSON.stringify(value);
    if (quotedCache.size < QUOTED_CACHE_MAX) quotedCache.set(value, quoted);
  }
  return quoted;
}

const PHASE_KEY = quotedConstant(ATTR.phase);
const ERROR_TYPE_KEY = quotedConstant(ATTR.errorType);

/**
 * Unix nanoseconds, as a decimal string, of a wall-clock time in milliseconds — the same
 * rounding as the SDK (whole seconds, then nanoseconds rounded), without BigInt.
 */
export function unixNanos(ms: number): string {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  if (seconds === 0) return String(nanos);
  const digits = String(nanos);
  return `${seconds}${'000000000'.slice(digits.length)}${digits}`;
}

function stringAttribute(key: string, value: string): string {
  return `{"key":${quotedConstant(key)},"value":{"stringValue":${JSON.stringify(value)}}}`;
}

/**
 * One call's spans (the root, then each phase) as JSON objects joined by commas. Ids are
 * written as they are: hex digits only, from ids.ts or a traceparent the W3C propagator
 * and isSpanContextValid checked, so they need no escaping. A phase without a span id gets
 * one here (see CallRecord.phases).
 */
export function callSpansJson(call: CallRecord): string {
  const traceId = call.traceId;
  const root = call.rootSpanId;
  let attributes = '';
  for (const key in call.attributes) {
    if (attributes !== '') attributes += ',';
    attributes += stringAttribute(key, call.attributes[key] as string);
  }
  let out =
    `{"traceId":"${traceId}","spanId":"${root}",${call.parentSpanId === '' ? '' : `"parentSpanId":"${call.parentSpanId}",`}` +
    `"name":${JSON.stringify(call.name)},"kind":${call.kind + 1},` +
    `"startTimeUnixNano":"${unixNanos(call.startMs)}","endTimeUnixNano":"${unixNanos(call.endMs)}",` +
    `"attributes":[${attributes}],"status":{"code":${call.error ? STATUS_ERROR : STATUS_UNSET}},` +
    `"flags":${call.parentSpanId !== '' && call.parentRemote ? FLAGS_REMOTE_PARENT : FLAGS_LOCAL_PARENT}}`;
  const phases = call.phases;
  for (let i = 0; i < phases.length; i += PHASE_FIELDS) {
    const name = String(phases[i]);
    const errorType = String(phases[i + 4]);
    const quotedName = quotedConstant(name);
    out +=
      `,{"traceId":"${traceId}","spanId":"${phaseSpanId(phases, i)}","parentSpanId":"${root}","name":${quotedName},` +
      `"kind":${name === 'execute' ? KIND_CLIENT : KIND_INTERNAL},` +
      `"startTimeUnixNano":"${unixNanos(Number(phases[i + 2]))}","endTimeUnixNano":"${unixNanos(Number(phases[i + 3]))}",` +
      `"attributes":[{"key":${PHASE_KEY},"value":{"stringValue":${quotedName}}}` +
      (errorType === '' ? '' : `,{"key":${ERROR_TYPE_KEY},"value":{"stringValue":${JSON.stringify(errorType)}}}`) +
      `],"status":{"code":${errorType === '' ? STATUS_UNSET : STATUS_ERROR}},"flags":${FLAGS_LOCAL_PARENT}}`;
  }
  return out;
}

/** The spans of a batch of calls, as the members of the OTLP `spans` array (joined by commas). */
export function spansJson(calls: readonly CallRecord[]): string {
  let out = '';
  for (const call of calls) {
    if (out !== '') out += ',';
    out += callSpansJson(call);
  }
  return out;
}

export interface OtlpService {
  serviceName: string;
  serviceVersion: string;
}

/**
 * The export request around `spans` (from spansJson): one resource (the service's name and
 * version) and one instrumentation scope (the gateway's), as the SDK groups them.
 */
export function exportRequestJson(service: OtlpService, spans: string): string {
  return `${exportRequestHead(service)}${spans}${EXPORT_REQUEST_TAIL}`;
}

/** What comes before the spans in an export request (see exportRequestJson). */
export function exportRequestHead(service: OtlpService): string {
  return (
    `{"resourceSpans":[{"resource":{"attributes":[${stringAttribute('service.name', service.serviceName)},` +
    `${stringAttribute('service.version', service.serviceVersion)}]},` +
    `"scopeSpans":[{"scope":{"name":${JSON.stringify(SCOPE_NAME)},"version":${JSON.stringify(service.serviceVersion)}},"spans":[`
  );
}

/** What comes after the spans. */
export const EXPORT_REQUEST_TAIL = ']}]}]}';

const NEWLINE = 0x0a;
const COMMA = 0x2c;
const decoder = new TextDecoder();

/** `body`, or a larger copy of its first `length` bytes when `more` bytes would not fit. */
function room(body: Buffer, length: number, more: number): Buffer {
  if (length + more <= body.length) return body;
  const larger = Buffer.allocUnsafeSlow(Math.max(body.length * 2, length + more));
  body.copy(larger, 0, 0, length);
  return larger;
}

/**
 * The export request of a batch that crossed as newline-separated JSON call records (see
 * transports.ts), written into `body` (a larger buffer when it does not fit: the one returned).
 * Each record is parsed and written on its own: no string the size of the batch.
 */
export function writeExportRequest(records: Uint8Array, head: string, body: Buffer): { body: Buffer; length: number } {
  let out = room(body, 0, head.length * 3);
  let length = out.write(head, 0);
  let start = 0;
  let first = true;
  while (start < records.length) {
    let end = records.indexOf(NEWLINE, start);
    if (end === -1) end = records.length;
    const spans = callSpansJson(JSON.parse(decoder.decode(records.subarray(start, end))) as CallRecord);
    start = end + 1;
    // UTF-8 needs at most 3 bytes per UTF-16 unit, and the comma one.
    out = room(out, length, spans.length * 3 + 1);
    if (!first) out[length++] = COMMA;
    first = false;
    length += out.write(spans, length);
  }
  out = room(out, length, EXPORT_REQUEST_TAIL.length);
  length += out.write(EXPORT_REQUEST_TAIL, length);
  return { body: out, length };
}
