/**
 * The OTLP/HTTP protobuf body of a batch of call records, written directly (no ReadableSpans,
 * no intermediate objects): the gateway's spans have a fixed shape, so this writes the bytes
 * the OpenTelemetry SDK's protobuf serializer writes for them, field by field in its order
 * (test/integration/otlp-proto.test.ts holds them byte-equal).
 *
 * The work is split in two. `writeCallSpans` runs on the event loop as a batch leaves the
 * queue: each span becomes a `ScopeSpans.spans` entry in a pooled buffer (a few microseconds
 * a call; no string is built). `writeExportRequest` runs on the export thread: it puts the
 * constant resource and scope around those bytes, which needs only their length.
 * Spec: https://opentelemetry.io/docs/specs/otlp/#binary-protobuf-encoding and
 * opentelemetry/proto/trace/v1/trace.proto.
 */
import { ATTR } from './conventions.ts';
import { FLAGS_LOCAL_PARENT, FLAGS_REMOTE_PARENT, KIND_CLIENT, KIND_INTERNAL, STATUS_ERROR, STATUS_UNSET } from './otlp-values.ts';
import { writeSpanIdBytes } from './ids.ts';
import { PHASE_FIELDS, SCOPE_NAME, type CallRecord } from './span-record.ts';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;


const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;

/** A growable protobuf writer over one byte array (replaced by a larger one when it fills). */
export class ProtoWriter {
  bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** Room for `more` bytes after `pos`. */
  room(more: number): void {
    if (this.pos + more <= this.bytes.length) return;
    const larger = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + more + 1024));
    larger.set(this.bytes.subarray(0, this.pos));
    this.bytes = larger;
  }

  /** An unsigned varint below 2^32 (lengths, enums, counts). */
  varint(value: number): void {
    this.room(5);
    const bytes = this.bytes;
    let v = value >>> 0;
    while (v > 0x7f) {
      bytes[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    bytes[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  fixed32(value: number): void {
    this.room(4);
    const bytes = this.bytes;
    bytes[this.pos++] = value & 0xff;
    bytes[this.pos++] = (value >>> 8) & 0xff;
    bytes[this.pos++] = (value >>> 16) & 0xff;
    bytes[this.pos++] = (value >>> 24) & 0xff;
  }

  /**
   * Unix nanoseconds of a wall-clock time in milliseconds, as a fixed64: whole seconds, then
   * nanoseconds rounded (the SDK's hrTime), summed exactly in two 32-bit halves (no BigInt).
   */
  unixNanos(ms: number): void {
    const seconds = Math.floor(ms / 1000);
    const nanos = Math.round((ms - seconds * 1000) * 1e6);
    // seconds × 1e9 + nanos needs 61 bits: summed in two halves, every product below 2^53,
    // and divisions by powers of two only (exact, and much cheaper than a floating-point %).
    const high16 = Math.floor(seconds / 0x10000);
    const a = high16 * 1e9; // × 2^16 below
    const aHigh = Math.floor(a / 0x10000);
    const b = (seconds - high16 * 0x10000) * 1e9 + nanos;
    const bHigh = Math.floor(b / 0x100000000);
    let lo = (a - aHigh * 0x10000) * 0x10000 + (b - bHigh * 0x100000000);
    let hi = aHigh + bHigh;
    if (lo >= 0x100000000) {
      lo -= 0x100000000;
      hi += 1;
    }
    this.fixed32(lo);
    this.fixed32(hi);
  }

  /** An id of `length` bytes from its lowercase hex, length-prefixed (ids are checked hex: ids.ts, or a validated traceparent). */
  hexBytes(hex: string, length: number): void {
    if (hex.length !== 2 * length) throw new Error(`not a lowercase hex id of ${length} bytes: ${JSON.stringify(hex.slice(0, 40))}`);
    this.room(length + 1);
    const bytes = this.bytes;
    bytes[this.pos++] = length;
    for (let i = 0; i < hex.length; i += 2) {
      const high = HEX_VALUE[hex.charCodeAt(i)] ?? -1;
      const low = HEX_VALUE[hex.charCodeAt(i + 1)] ?? -1;
      if (high < 0 || low < 0) throw new Error(`not a lowercase hex id of ${length} bytes: ${JSON.stringify(hex.slice(0, 40))}`);
      bytes[this.pos++] = (high << 4) | low;
    }
  }

  /** A string, length-prefixed, as UTF-8 (lone surrogates become U+FFFD, as the SDK's writer does). */
  string(value: string): void {
    // Most strings here are short ASCII: one length byte, written in place.
    if (value.length < 0x80) {
      this.room(value.length + 1);
      const bytes = this.bytes;
      const lengthAt = this.pos++;
      let i = 0;
      for (; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[this.pos + i] = c;
      }
      if (i === value.length) {
        bytes[lengthAt] = i;
        this.pos += i;
        return;
      }
      this.pos = lengthAt;
    }
    const encoded = Buffer.from(value, 'utf8');
    this.varint(encoded.length);
    this.raw(encoded);
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Starts a length-delimited field's content; returns where its length goes (see `end`). */
  begin(field: number): number {
    this.tag(field, WIRE_LENGTH);
    this.room(1);
    return this.pos++;
  }

  /**
   * Writes the length of the content begun at `at`, moving the content when the length needs
   * more than one byte. Returns where the content now starts.
   */
  end(at: number): number {
    const length = this.pos - at - 1;
    if (length < 0x80) {
      this.bytes[at] = length;
      return at + 1;
    }
    let size = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) size++;
    this.room(size - 1);
    this.bytes.copyWithin(at + size, at + 1, this.pos);
    this.pos += size - 1;
    let v = length;
    let p = at;
    while (v > 0x7f) {
      this.bytes[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[p] = v;
    return at + size;
  }
}

/** A `KeyValue` with a string value, as a repeated field `field`. */
function stringAttribute(w: ProtoWriter, field: number, key: string, value: string): void {
  const kv = w.begin(field);
  w.tag(1, WIRE_LENGTH);
  w.string(key);
  const any = w.begin(2);
  w.tag(1, WIRE_LENGTH);
  w.string(value);
  w.end(any);
  w.end(kv);
}

/** What every span ends with before its status: no dropped attributes, events or links. */
function noneDropped(w: ProtoWriter): void {
  w.tag(10, WIRE_VARINT);
  w.varint(0);
  w.tag(12, WIRE_VARINT);
  w.varint(0);
  w.tag(14, WIRE_VARINT);
  w.varint(0);
}

function status(w: ProtoWriter, code: number): void {
  const at = w.begin(15);
  w.tag(3, WIRE_VARINT);
  w.varint(code);
  w.end(at);
}

function flags(w: ProtoWriter, value: number): void {
  w.tag(16, WIRE_FIXED32);
  w.fixed32(value);
}

/** The span id bytes of a phase: its recorded id, or one drawn now (no request needed it while it ran). */
function phaseSpanIdBytes(w: ProtoWriter, id: string): void {
  if (id !== '') {
    w.hexBytes(id, 8);
    return;
  }
  w.room(9);
  w.bytes[w.pos++] = 8;
  writeSpanIdBytes(w.bytes, w.pos);
  w.pos += 8;
}

/**
 * One call's spans (the root, then each phase) as `ScopeSpans.spans` entries (field 2), in the
 * SDK serializer's field order. The caller's tracestate is not written, as the SDK's exporters
 * (which build the span context without it) do not write it either.
 */
export function writeCallSpans(w: ProtoWriter, call: CallRecord): void {
  const span = w.begin(2);
  w.tag(1, WIRE_LENGTH);
  w.hexBytes(call.traceId, 16);
  w.tag(2, WIRE_LENGTH);
  w.hexBytes(call.rootSpanId, 8);
  if (call.parentSpanId !== '') {
    w.tag(4, WIRE_LENGTH);
    w.hexBytes(call.parentSpanId, 8);
  }
  w.tag(5, WIRE_LENGTH);
  w.string(call.name);
  w.tag(6, WIRE_VARINT);
  w.varint(call.kind + 1);
  w.tag(7, WIRE_FIXED64);
  w.unixNanos(call.startMs);
  w.tag(8, WIRE_FIXED64);
  w.unixNanos(call.endMs);
  for (const key in call.attributes) stringAttribute(w, 9, key, call.attributes[key] as string);
  noneDropped(w);
  status(w, call.error ? STATUS_ERROR : STATUS_UNSET);
  flags(w, call.parentSpanId !== '' && call.parentRemote ? FLAGS_REMOTE_PARENT : FLAGS_LOCAL_PARENT);
  // The phases share the trace id and have the root as parent: copied from the root's bytes
  // (each after its field's tag and length byte: trace id first, then the span id).
  const traceIdAt = w.end(span) + 2;
  const rootIdAt = traceIdAt + 16 + 2;

  const phases = call.phases;
  for (let i = 0; i < phases.length; i += PHASE_FIELDS) {
    const name = String(phases[i]);
    const errorType = String(phases[i + 4]);
    const constant = phaseBytes(name);
    const at = w.begin(2);
    w.room(18 + 10);
    const bytes = w.bytes;
    bytes[w.pos++] = (1 << 3) | WIRE_LENGTH;
    bytes[w.pos++] = 16;
    bytes.copyWithin(w.pos, traceIdAt, traceIdAt + 16);
    w.pos += 16;
    bytes[w.pos++] = (2 << 3) | WIRE_LENGTH;
    phaseSpanIdBytes(w, String(phases[i + 1]));
    w.room(10);
    w.bytes[w.pos++] = (4 << 3) | WIRE_LENGTH;
    w.bytes[w.pos++] = 8;
    w.bytes.copyWithin(w.pos, rootIdAt, rootIdAt + 8);
    w.pos += 8;
    w.raw(constant.nameAndKind);
    w.tag(7, WIRE_FIXED64);
    w.unixNanos(Number(phases[i + 2]));
    w.tag(8, WIRE_FIXED64);
    w.unixNanos(Number(phases[i + 3]));
    if (errorType === '') w.raw(constant.rest);
    else {
      w.raw(constant.attribute);
      stringAttribute(w, 9, ATTR.errorType, errorType);
      noneDropped(w);
      status(w, STATUS_ERROR);
      flags(w, FLAGS_LOCAL_PARENT);
    }
    w.end(at);
  }
}

/** The bytes of a phase span's fields that depend on its name alone (see `phaseBytes`). */
interface PhaseBytes {
  /** Fields 5 and 6: the name, the kind. */
  nameAndKind: Uint8Array;
  /** Field 9: the `airlock.phase` attribute. */
  attribute: Uint8Array;
  /** Everything after the times of a phase that did not fail: the attribute, no drops, status UNSET, the flags. */
  rest: Uint8Array;
}

/** Per phase name, written once (the pipeline has a dozen phases; the cache is bounded all the same). */
const phaseBytesCache = new Map<string, PhaseBytes>();
const PHASE_BYTES_CACHE_MAX = 64;

function phaseBytes(name: string): PhaseBytes {
  const cached = phaseBytesCache.get(name);
  if (cached !== undefined) return cached;
  const w = new ProtoWriter(new Uint8Array(64));
  w.tag(5, WIRE_LENGTH);
  w.string(name);
  w.tag(6, WIRE_VARINT);
  w.varint(name === 'execute' ? KIND_CLIENT : KIND_INTERNAL);
  const nameAndKind = w.bytes.slice(0, w.pos);
  w.pos = 0;
  stringAttribute(w, 9, ATTR.phase, name);
  const attribute = w.bytes.slice(0, w.pos);
  noneDropped(w);
  status(w, STATUS_UNSET);
  flags(w, FLAGS_LOCAL_PARENT);
  const made = { nameAndKind, attribute, rest: w.bytes.slice(0, w.pos) };
  if (phaseBytesCache.size < PHASE_BYTES_CACHE_MAX) phaseBytesCache.set(name, made);
  return made;
}

/** The spans of a batch of calls, as `ScopeSpans.spans` entries, written into `bytes` (or a larger array: the one returned). */
export function writeSpans(calls: readonly CallRecord[], bytes: Uint8Array): { bytes: Uint8Array; length: number } {
  const w = new ProtoWriter(bytes);
  for (const call of calls) writeCallSpans(w, call);
  return { bytes: w.bytes, length: w.pos };
}

export interface OtlpService {
  serviceName: string;
  serviceVersion: string;
}

/** The resource (service name and version) and the scope of every export request, as `ResourceSpans` and `ScopeSpans` fields. */
export interface ExportRequestHead {
  /** `ResourceSpans.resource` (field 1), whole. */
  resource: Uint8Array;
  /** `ScopeSpans.scope` (field 1), whole. */
  scope: Uint8Array;
}

export function exportRequestHead(service: OtlpService): ExportRequestHead {
  const r = new ProtoWriter(new Uint8Array(256));
  const resource = r.begin(1);
  stringAttribute(r, 1, 'service.name', service.serviceName);
  stringAttribute(r, 1, 'service.version', service.serviceVersion);
  r.tag(2, WIRE_VARINT);
  r.varint(0);
  r.end(resource);
  const s = new ProtoWriter(new Uint8Array(128));
  const scope = s.begin(1);
  s.tag(1, WIRE_LENGTH);
  s.string(SCOPE_NAME);
  if (service.serviceVersion !== '') {
    s.tag(2, WIRE_LENGTH);
    s.string(service.serviceVersion);
  }
  s.end(scope);
  return { resource: r.bytes.slice(0, r.pos), scope: s.bytes.slice(0, s.pos) };
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 7; v > 0; v >>>= 7) size++;
  return size;
}

/**
 * The `ExportTraceServiceRequest` around spans written by `writeSpans`: one resource spans
 * entry, one scope spans entry, written into `body` (or a larger buffer: the one returned).
 */
export function writeExportRequest(spans: Uint8Array, head: ExportRequestHead, body: Uint8Array): { body: Uint8Array; length: number } {
  const scopeSpans = head.scope.length + spans.length;
  const resourceSpans = head.resource.length + 1 + varintSize(scopeSpans) + scopeSpans;
  const w = new ProtoWriter(body);
  w.room(resourceSpans + 12);
  w.tag(1, WIRE_LENGTH);
  w.varint(resourceSpans);
  w.raw(head.resource);
  w.tag(2, WIRE_LENGTH);
  w.varint(scopeSpans);
  w.raw(head.scope);
  w.raw(spans);
  return { body: w.bytes, length: w.pos };
}
