/**
 * Test support: decodes an OTLP/HTTP protobuf trace export request (opentelemetry/proto
 * collector/trace/v1 ExportTraceServiceRequest) into the shape of its OTLP JSON encoding (hex
 * ids, nanosecond times as decimal strings, attributes as `{key, value: {stringValue | ...}}`),
 * so the receiver checks both encodings the same way. A reader of the wire format written from
 * the .proto files, independent of the gateway's writer; it throws on anything malformed.
 */

type Field = { field: number; wire: number; value: bigint | Uint8Array };

class Reader {
  readonly #bytes: Uint8Array;
  #pos = 0;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  get done(): boolean {
    return this.#pos >= this.#bytes.length;
  }
  #byte(): number {
    if (this.#pos >= this.#bytes.length) throw new Error('truncated protobuf message');
    return this.#bytes[this.#pos++] as number;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.#byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new Error('varint longer than 10 bytes');
  }
  fixed(bytes: number): bigint {
    let result = 0n;
    for (let i = 0; i < bytes; i++) result |= BigInt(this.#byte()) << BigInt(8 * i);
    return result;
  }
  take(length: number): Uint8Array {
    if (this.#pos + length > this.#bytes.length) throw new Error('length-delimited field past the end');
    const out = this.#bytes.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return out;
  }
  next(): Field {
    const key = Number(this.varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('field number 0');
    switch (wire) {
      case 0:
        return { field, wire, value: this.varint() };
      case 1:
        return { field, wire, value: this.fixed(8) };
      case 2:
        return { field, wire, value: this.take(Number(this.varint())) };
      case 5:
        return { field, wire, value: this.fixed(4) };
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

function fields(bytes: Uint8Array): Field[] {
  const reader = new Reader(bytes);
  const out: Field[] = [];
  while (!reader.done) out.push(reader.next());
  return out;
}

const text = (value: Field['value']) => new TextDecoder('utf-8', { fatal: true }).decode(value as Uint8Array);
const hex = (value: Field['value']) => Buffer.from(value as Uint8Array).toString('hex');

function anyValue(bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields(bytes)) {
    if (f.field === 1) out.stringValue = text(f.value);
    else if (f.field === 2) out.boolValue = f.value === 1n;
    else if (f.field === 3) out.intValue = String(BigInt.asIntN(64, f.value as bigint));
    else throw new Error(`AnyValue field ${f.field} not expected in the gateway's spans`);
  }
  return out;
}

function keyValue(bytes: Uint8Array): { key: string; value: Record<string, unknown> } {
  let key = '';
  let value: Record<string, unknown> = {};
  for (const f of fields(bytes)) {
    if (f.field === 1) key = text(f.value);
    else if (f.field === 2) value = anyValue(f.value as Uint8Array);
  }
  return { key, value };
}

function span(bytes: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: [] };
  for (const f of fields(bytes)) {
    switch (f.field) {
      case 1:
        out.traceId = hex(f.value);
        break;
      case 2:
        out.spanId = hex(f.value);
        break;
      case 3:
        out.traceState = text(f.value);
        break;
      case 4:
        out.parentSpanId = hex(f.value);
        break;
      case 5:
        out.name = text(f.value);
        break;
      case 6:
        out.kind = Number(f.value);
        break;
      case 7:
        out.startTimeUnixNano = String(f.value);
        break;
      case 8:
        out.endTimeUnixNano = String(f.value);
        break;
      case 9:
        (out.attributes as unknown[]).push(keyValue(f.value as Uint8Array));
        break;
      case 10:
      case 12:
      case 14:
        if (f.value !== 0n) out[['droppedAttributesCount', '', 'droppedEventsCount', '', 'droppedLinksCount'][f.field - 10] as string] = Number(f.value);
        break;
      case 15: {
        const status: Record<string, unknown> = {};
        for (const s of fields(f.value as Uint8Array)) {
          if (s.field === 2) status.message = text(s.value);
          if (s.field === 3) status.code = Number(s.value);
        }
        out.status = status;
        break;
      }
      case 16:
        out.flags = Number(f.value);
        break;
      default:
        throw new Error(`Span field ${f.field} not expected in the gateway's spans`);
    }
  }
  return out;
}

/** The export request as its OTLP JSON shape. */
export function decodeTraceExportRequest(body: Uint8Array): { resourceSpans: Array<Record<string, unknown>> } {
  const resourceSpans: Array<Record<string, unknown>> = [];
  for (const rs of fields(body)) {
    if (rs.field !== 1) throw new Error(`ExportTraceServiceRequest field ${rs.field}`);
    const entry: Record<string, unknown> = { scopeSpans: [] };
    for (const f of fields(rs.value as Uint8Array)) {
      if (f.field === 1) entry.resource = { attributes: fields(f.value as Uint8Array).filter((a) => a.field === 1).map((a) => keyValue(a.value as Uint8Array)) };
      else if (f.field === 2) {
        const scopeSpans: Record<string, unknown> = { spans: [] };
        for (const s of fields(f.value as Uint8Array)) {
          if (s.field === 1) {
            const scope: Record<string, unknown> = {};
            for (const sf of fields(s.value as Uint8Array)) {
              if (sf.field === 1) scope.name = text(sf.value);
              if (sf.field === 2) scope.version = text(sf.value);
            }
            scopeSpans.scope = scope;
          } else if (s.field === 2) (scopeSpans.spans as unknown[]).push(span(s.value as Uint8Array));
        }
        (entry.scopeSpans as unknown[]).push(scopeSpans);
      }
    }
    resourceSpans.push(entry);
  }
  return { resourceSpans };
}
