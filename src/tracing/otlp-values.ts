/**
 * Values of the OTLP span fields the gateway writes, in both encodings (otlp-json.ts,
 * otlp-proto.ts), from opentelemetry/proto/trace/v1/trace.proto.
 */
import { SpanKind } from '@opentelemetry/api';

/** OTLP span flags: the W3C trace flags (sampled) and "the parent's is-remote is known". */
export const FLAGS_LOCAL_PARENT = 0x01 | 0x100;
/** ... and "the parent is remote" (a caller's span from its traceparent). */
export const FLAGS_REMOTE_PARENT = FLAGS_LOCAL_PARENT | 0x200;
export const STATUS_UNSET = 0;
export const STATUS_ERROR = 2;
/** OTLP's kind enum is the API's plus one (0 is "unspecified"). */
export const KIND_INTERNAL = SpanKind.INTERNAL + 1;
export const KIND_CLIENT = SpanKind.CLIENT + 1;
