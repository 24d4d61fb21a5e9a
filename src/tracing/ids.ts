/**
 * W3C trace and span ids: lowercase hex, never all zeros (16 and 8 bytes), random bits drawn
 * from the CSPRNG in pooled blocks (one system call per few hundred ids on the hot path).
 * A trace the gateway starts itself gets a time-ordered id (`newTimeOrderedTraceId`): its
 * audit trace id (`trc_<trace id>`) then lands at the end of the audit store's trace-id index
 * instead of at a random place in it, as the gateway's own time-ordered ids do with tracing off.
 */
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.alloc(4096);
let offset = POOL.length;
const ZERO_SPAN = '0'.repeat(16);

/** `bytes` random bytes as hex (may be all zeros). */
function poolHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export function newSpanId(): string {
  for (;;) {
    const id = poolHex(8);
    if (id !== ZERO_SPAN) return id;
  }
}

/** A new span id's 8 bytes, written into `bytes` at `at` (never all zeros): the export writer's ids, with no hex between. */
export function writeSpanIdBytes(bytes: Uint8Array, at: number): void {
  for (;;) {
    if (offset + 8 > POOL.length) {
      randomFillSync(POOL);
      offset = 0;
    }
    let any = 0;
    for (let i = 0; i < 8; i++) any |= bytes[at + i] = POOL[offset + i] as number;
    offset += 8;
    if (any !== 0) return;
  }
}

/** Bytes of a time-ordered trace id that hold the millisecond clock (big-endian, 48 bits: until the year 10889). */
export const TRACE_ID_TIME_BYTES = 6;
/** Random bytes after them: more than the 7 rightmost bytes W3C Trace Context level 2 asks to be random. */
export const TRACE_ID_RANDOM_BYTES = 16 - TRACE_ID_TIME_BYTES;
const TIME_MASK = 2 ** (8 * TRACE_ID_TIME_BYTES);

/**
 * A trace id from a clock reading (ms since the epoch) and 10 random bytes as 20 hex digits:
 * ids of later milliseconds sort after earlier ones (as text and as bytes). Never all zeros
 * once the clock is past 1970. The random part carries two whole 32-bit words of the id, so
 * OpenTelemetry's TraceIdRatioBased rule (the XOR of the id's four 32-bit words against the
 * ratio) keeps sampling a uniform share of traces, however close together they start.
 */
export function timeOrderedTraceId(ms: number, randomHex20: string): string {
  const clock = Math.floor(ms) % TIME_MASK;
  return clock.toString(16).padStart(2 * TRACE_ID_TIME_BYTES, '0') + randomHex20;
}

let clockMs = -1;
let clockHex = '';

/** A time-ordered trace id (see `timeOrderedTraceId`) for a trace that starts now. */
export function newTimeOrderedTraceId(): string {
  const ms = Date.now();
  // The clock's hex digits change once a millisecond: reused for the calls within one.
  if (ms !== clockMs) {
    clockMs = ms;
    clockHex = timeOrderedTraceId(ms, '');
  }
  return clockHex + poolHex(TRACE_ID_RANDOM_BYTES);
}
