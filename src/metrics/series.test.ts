import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './series.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];

test('the fast histogram and counter expose exactly what prom-client would for the same observations', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c"\\\n'), fc.double({ min: 0, max: 5, noNaN: true })), { maxLength: 40 }),
      async (observations) => {
        const ours = new Registry();
        const theirs = new Registry();
        const fast = new FastHistogram({ name: 'h_seconds', help: 'h', buckets: BUCKETS, registry: ours });
        const fastCount = new FastCounter({ name: 'c_total', help: 'c', registry: ours });
        const reference = new Histogram({ name: 'h_seconds', help: 'h', buckets: BUCKETS, labelNames: ['phase'], registers: [theirs] });
        const referenceCount = new Counter({ name: 'c_total', help: 'c', labelNames: ['phase'], registers: [theirs] });
        for (const [phase, value] of observations) {
          fast.of({ phase }).observe(value);
          fastCount.of({ phase }).inc();
          reference.observe({ phase }, value);
          referenceCount.inc({ phase });
        }
        // prom-client lists label sets in first-seen order; so do we.
        assert.equal(await ours.metrics(), await theirs.metrics());
      },
    ),
    { numRuns: 200 },
  );
});

test('a series resolved once keeps counting into the same exposition line; reset empties it', async () => {
  const registry = new Registry();
  const counter = new FastCounter({ name: 'c_total', help: 'c', registry });
  const series = counter.of({ b: '2', a: '1' });
  series.inc();
  counter.of({ a: '1', b: '2' }).inc();
  assert.match(await registry.metrics(), /^c_total\{b="2",a="1"\} 2$/m);
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /c_total\{/);
});
