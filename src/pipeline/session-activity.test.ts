import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import { STEP_BACK_GRACE_MS, SessionActivity } from './session-activity.ts';

const WINDOW = 10 * 60 * 1000;

test('records read count inside the ten-minute window only', () => {
  const clock = new ManualClock();
  const activity = new SessionActivity(clock);
  activity.recordRead('s1', 3);
  clock.advance(4 * 60 * 1000);
  activity.recordRead('s1', 2);
  activity.recordRead('s2', 7);
  assert.equal(activity.snapshot('s1', 't').recordsReadLast10m, 5);
  clock.advance(6 * 60 * 1000); // the first read is exactly ten minutes old: out
  assert.equal(activity.snapshot('s1', 't').recordsReadLast10m, 2);
  clock.advance(4 * 60 * 1000);
  assert.equal(activity.snapshot('s1', 't').recordsReadLast10m, 0);
  assert.equal(activity.snapshot('s2', 't').recordsReadLast10m, 0);
  activity.recordRead('s1', 1);
  assert.equal(activity.snapshot('s1', 't').recordsReadLast10m, 1);
});

test('calls are counted per session and per tool', () => {
  const activity = new SessionActivity(new ManualClock());
  activity.recordCall('s1', 'a');
  activity.recordCall('s1', 'a');
  activity.recordCall('s1', 'b');
  assert.deepEqual(activity.snapshot('s1', 'a'), { callCount: 3, toolCallCount: 2, recordsReadLast10m: 0 });
  assert.deepEqual(activity.snapshot('s1', 'c'), { callCount: 3, toolCallCount: 0, recordsReadLast10m: 0 });
});

type Step = { kind: 'read'; count: number } | { kind: 'advance'; ms: number } | { kind: 'snapshot' };

const steps = (minAdvance: number) =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('read' as const), count: fc.integer({ min: -1, max: 50 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: minAdvance, max: 1000 }), fc.integer({ min: minAdvance, max: WINDOW + 1 })) }),
      fc.record({ kind: fc.constant('snapshot' as const) }),
    ),
    { maxLength: 300 },
  );

/** Replays steps on the real counter and on a list of every read; returns both figures at each snapshot. */
function replay(run: Step[]): Array<{ actual: number; naive: number }> {
  const clock = new ManualClock();
  const activity = new SessionActivity(clock);
  const all: Array<{ at: number; count: number }> = [];
  const out: Array<{ actual: number; naive: number }> = [];
  let highWater = clock.now();
  for (const step of run) {
    if (step.kind === 'read') {
      activity.recordRead('s', step.count);
      if (step.count > 0) all.push({ at: clock.now(), count: step.count });
    } else if (step.kind === 'advance') {
      // The clock may step back, by at most the grace behind the latest time it showed.
      highWater = Math.max(highWater, clock.now());
      clock.advance(Math.max(step.ms, highWater - STEP_BACK_GRACE_MS - clock.now()));
    } else {
      const since = clock.now() - WINDOW;
      const naive = all.filter((r) => r.at > since).reduce((sum, r) => sum + r.count, 0);
      out.push({ actual: activity.snapshot('s', 't').recordsReadLast10m, naive });
    }
  }
  return out;
}

test('the read window equals the sum of every read in the last ten minutes (clock moving forward)', () => {
  fc.assert(
    fc.property(steps(0), (run) => {
      for (const { actual, naive } of replay(run)) assert.equal(actual, naive);
    }),
    { numRuns: 300 },
  );
});

test('a read that left the window counts again when the clock steps back over its edge', () => {
  const clock = new ManualClock();
  const activity = new SessionActivity(clock);
  activity.recordRead('s', 5);
  clock.advance(WINDOW + 1000);
  assert.equal(activity.snapshot('s', 't').recordsReadLast10m, 0);
  clock.advance(-2000); // an NTP correction: the read is inside the last ten minutes again
  assert.equal(activity.snapshot('s', 't').recordsReadLast10m, 5);
  clock.advance(STEP_BACK_GRACE_MS);
  activity.recordRead('s', 1);
  assert.equal(activity.snapshot('s', 't').recordsReadLast10m, 1);
  clock.advance(-STEP_BACK_GRACE_MS + 500); // within the grace of the latest time: both count
  assert.equal(activity.snapshot('s', 't').recordsReadLast10m, 6);
});

test('a clock stepping back never makes the window count fewer reads', () => {
  fc.assert(
    fc.property(steps(-2000), (run) => {
      for (const { actual, naive } of replay(run)) assert.ok(actual >= naive, `${actual} < ${naive}`);
    }),
    { numRuns: 300 },
  );
});
