import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auditLookupId, auditTraceId, headersOf, parentSpanContext } from './traceparent.ts';

const hexOf = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const traceIdArb = hexOf(32).filter((id) => !/^0+$/.test(id));
const spanIdArb = hexOf(16).filter((id) => !/^0+$/.test(id));

test('a valid traceparent gives its trace id, span id and flags, and is passed on unchanged', () => {
  fc.assert(
    fc.property(traceIdArb, spanIdArb, fc.constantFrom('00', '01'), (traceId, spanId, flags) => {
      const traceparent = `00-${traceId}-${spanId}-${flags}`;
      const parent = parentSpanContext({ traceparent });
      assert.ok(parent);
      assert.equal(parent.traceId, traceId);
      assert.equal(parent.spanId, spanId);
      assert.equal(parent.traceFlags, Number.parseInt(flags, 16));
      assert.equal(headersOf(parent).traceparent, traceparent);
    }),
  );
});

test('malformed traceparents are ignored (all-zero ids, version ff, wrong lengths, upper case, anything at all)', () => {
  const zeroTrace = `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`;
  const zeroSpan = `00-${'1'.repeat(32)}-${'0'.repeat(16)}-01`;
  for (const bad of [zeroTrace, zeroSpan, `ff-${'1'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'1'.repeat(31)}-${'1'.repeat(16)}-01`, `00-${'A'.repeat(32)}-${'1'.repeat(16)}-01`, '', 'x'.repeat(10_000)]) {
    assert.equal(parentSpanContext({ traceparent: bad }), null, bad.slice(0, 60));
  }
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void parentSpanContext({ traceparent: text, tracestate: text })));
  assert.equal(parentSpanContext(undefined), null);
});

test('tracestate travels with a valid parent; an oversized one is dropped', () => {
  const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
  assert.equal(headersOf(parentSpanContext({ traceparent, tracestate: 'vendor=x' }) ?? assert.fail()).tracestate, 'vendor=x');
  assert.equal(headersOf(parentSpanContext({ traceparent, tracestate: `v=${'x'.repeat(9_000)}` }) ?? assert.fail()).tracestate, undefined);
});

test('the audit trace id of a W3C trace and back; a bare W3C id looks up its audit trace', () => {
  fc.assert(
    fc.property(traceIdArb, (traceId) => {
      assert.equal(auditLookupId(traceId), auditTraceId(traceId));
      assert.equal(auditLookupId(auditTraceId(traceId)), auditTraceId(traceId), 'an audit trace id is looked up as it is');
    }),
  );
  assert.equal(auditLookupId('req_01ABC'), 'req_01ABC');
  assert.equal(auditLookupId('0'.repeat(32)), '0'.repeat(32));
  assert.equal(auditLookupId('A'.repeat(32)), 'A'.repeat(32), 'upper-case hex is not a W3C trace id');
});
