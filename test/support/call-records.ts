/**
 * Test support: fast-check arbitraries of the tracer's call records (span-record.ts), shared by
 * the OTLP encoding tests (JSON and protobuf): random ids, texts with any UTF-16 unit, times
 * with a sub-millisecond part, phases with and without errors.
 */
import fc from 'fast-check';
import { ATTR } from '../../src/tracing/conventions.ts';
import type { CallRecord } from '../../src/tracing/span-record.ts';

export const hexId = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length }).filter((s) => !/^0+$/.test(s));
export const text = fc.string({ unit: 'binary', maxLength: 40 });
/** A wall-clock time in ms with a sub-millisecond part, as nowMs() gives. */
export const time = fc.tuple(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.double({ min: 0, max: 0.999999999, noNaN: true })).map(([ms, fraction]) => ms + fraction);
const PHASES = ['identify', 'screen', 'resolve', 'validate', 'authorize', 'execute', 'record_result'];
const phase = fc.tuple(fc.oneof(fc.constantFrom(...PHASES), text), hexId(16), time, time, fc.oneof(fc.constant(''), fc.constant('ERR_CONNECTOR_NETWORK'), text));
export const callRecord: fc.Arbitrary<CallRecord> = fc
  .record({
    traceId: hexId(32),
    rootSpanId: hexId(16),
    parentSpanId: fc.oneof(fc.constant(''), hexId(16)),
    parentRemote: fc.boolean(),
    name: text,
    kind: fc.constantFrom(0, 1),
    startMs: time,
    endMs: time,
    attributes: fc.dictionary(fc.constantFrom(...Object.values(ATTR)), text),
    error: fc.boolean(),
    phases: fc.array(phase, { maxLength: 6 }).map((list) => list.flat()),
  })
  .map((record) => ({ ...record, attributes: { ...record.attributes } }));
