import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ROOT_CONTEXT, isValidTraceId } from '@opentelemetry/api';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { TRACE_ID_RANDOM_BYTES, newSpanId, newTimeOrderedTraceId, timeOrderedTraceId } from './ids.ts';

const MAX_CLOCK = 2 ** 48 - 1;
const randomPart = fc.uint8Array({ minLength: TRACE_ID_RANDOM_BYTES, maxLength: TRACE_ID_RANDOM_BYTES }).map((b) => Buffer.from(b).toString('hex'));

test('a time-ordered trace id is a valid W3C trace id: the clock in its 6 leading bytes, the random part in the rest', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_CLOCK }), randomPart, (ms, random) => {
      const id = timeOrderedTraceId(ms, random);
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.ok(isValidTraceId(id));
      assert.equal(parseInt(id.slice(0, 12), 16), ms);
      // W3C Trace Context level 2 "random" flag: the rightmost 7 bytes (here 10) are random.
      assert.equal(id.slice(-2 * TRACE_ID_RANDOM_BYTES), random);
    }),
    { seed: 20261207 },
  );
});

test('trace ids of later milliseconds sort after earlier ones, whatever their random parts', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: MAX_CLOCK - 1 }), fc.integer({ min: 1, max: 1_000_000 }), randomPart, randomPart, (ms, later, a, b) => {
      const first = timeOrderedTraceId(ms, a);
      const second = timeOrderedTraceId(Math.min(MAX_CLOCK, ms + later), b);
      assert.ok(first < second, `${first} < ${second}`);
      assert.ok(Buffer.compare(Buffer.from(first, 'hex'), Buffer.from(second, 'hex')) < 0);
    }),
    { seed: 20261207 },
  );
});

/** How many of `ids` OpenTelemetry's TraceIdRatioBased sampler keeps at `ratio`. */
function sampledCount(ids: string[], ratio: number): number {
  const sampler = new TraceIdRatioBasedSampler(ratio);
  return ids.filter((id) => sampler.shouldSample(ROOT_CONTEXT, id).decision === SamplingDecision.RECORD_AND_SAMPLED).length;
}

test('the trace-id ratio sampler keeps the configured share of time-ordered trace ids, even of traces started in the same millisecond', () => {
  const n = 20_000;
  // Fixed seed: the same random parts every run, so the test is deterministic.
  const randoms = fc.sample(randomPart, { seed: 42, numRuns: n });
  const clock = 1_796_000_000_000;
  const bursts: Record<string, string[]> = {
    // 50 traces a millisecond, as under load.
    'a burst': randoms.map((r, i) => timeOrderedTraceId(clock + Math.floor(i / 50), r)),
    'one millisecond': randoms.map((r) => timeOrderedTraceId(clock, r)),
    'spread over years': randoms.map((r, i) => timeOrderedTraceId(clock + i * 1_577_836_800, r)),
  };
  for (const [name, ids] of Object.entries(bursts)) {
    assert.equal(new Set(ids).size, n, `${name}: ids are distinct`);
    for (const ratio of [0.01, 0.1, 0.5, 0.9]) {
      const kept = sampledCount(ids, ratio);
      // Binomial: within 5 standard deviations of n·ratio.
      const slack = 5 * Math.sqrt(n * ratio * (1 - ratio));
      assert.ok(Math.abs(kept - n * ratio) <= slack, `${name}, ratio ${ratio}: kept ${kept} of ${n}, expected ${n * ratio} ± ${slack.toFixed(0)}`);
    }
    assert.equal(sampledCount(ids, 0), 0);
    assert.equal(sampledCount(ids, 1), n);
  }
});

test('a trace id whose random part were constant would not be sampled at the ratio (the check above can fail)', () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => timeOrderedTraceId(1_796_000_000_000 + Math.floor(i / 50), '0'.repeat(20)));
  const kept = sampledCount(ids, 0.5);
  // Only 20 distinct clock values feed the rule: the share kept is far outside the band above.
  assert.ok(Math.abs(kept - 500) > 5 * Math.sqrt(250), `kept ${kept} of 1000`);
});

test('a new trace id holds the current millisecond; span ids are 16 hex digits, never all zeros', () => {
  const before = Date.now();
  const id = newTimeOrderedTraceId();
  const after = Date.now();
  const ms = parseInt(id.slice(0, 12), 16);
  assert.ok(ms >= before && ms <= after);
  assert.ok(isValidTraceId(id));
  const spans = Array.from({ length: 2_000 }, newSpanId);
  for (const span of spans) assert.match(span, /^(?!0{16})[0-9a-f]{16}$/);
  assert.equal(new Set(spans).size, spans.length);
});
