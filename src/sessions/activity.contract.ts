/** Contract every SessionActivityStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../core/ids.ts';
import type { SessionActivityStore } from './activity.ts';
import { MemorySessionActivityStore, READ_WINDOW_MS, STEP_BACK_GRACE_MS } from './activity.ts';

export interface SessionActivityHarness {
  store: SessionActivityStore;
  /** Another store on the same data (another connection, a replica, the process after a restart); absent for memory. */
  another?: () => Promise<SessionActivityStore>;
  close?: () => Promise<void>;
}

const WINDOW = READ_WINDOW_MS;
const T0 = 1_700_000_000_000;
const MIN = 60 * 1000;

type Step = { kind: 'read'; count: number } | { kind: 'call'; tool: 'a' | 'b' } | { kind: 'advance'; ms: number } | { kind: 'snapshot'; tool: 'a' | 'b' } | { kind: 'count'; tool: 'a' | 'b' };

const steps = (minAdvance: number, maxLength: number) =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('read' as const), count: fc.integer({ min: -1, max: 50 }) }),
      fc.record({ kind: fc.constant('call' as const), tool: fc.constantFrom('a' as const, 'b' as const) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: minAdvance, max: 1000 }), fc.integer({ min: minAdvance, max: WINDOW + 1 })) }),
      fc.record({ kind: fc.constant('snapshot' as const), tool: fc.constantFrom('a' as const, 'b' as const) }),
      fc.record({ kind: fc.constant('count' as const), tool: fc.constantFrom('a' as const, 'b' as const) }),
    ),
    { maxLength },
  );

/**
 * Replays steps on the store, on a list of every read (`naive`) and on the memory adapter
 * (the reference); returns the three at each snapshot. The clock may step back, by at most
 * the grace behind the latest time it showed.
 */
async function replay(store: SessionActivityStore, run: Step[]): Promise<Array<{ actual: number; naive: number; reference: unknown; got: unknown }>> {
  const session = newId('ses');
  const reference = new MemorySessionActivityStore();
  const all: Array<{ at: number; count: number }> = [];
  const out: Array<{ actual: number; naive: number; reference: unknown; got: unknown }> = [];
  let now = T0;
  let highWater = now;
  for (const step of run) {
    if (step.kind === 'read') {
      await store.recordRead(session, step.count, now);
      await reference.recordRead(session, step.count, now);
      if (step.count > 0) all.push({ at: now, count: step.count });
    } else if (step.kind === 'call') {
      await store.recordCall(session, step.tool, now);
      await reference.recordCall(session, step.tool, now);
    } else if (step.kind === 'advance') {
      highWater = Math.max(highWater, now);
      now += Math.max(step.ms, highWater - STEP_BACK_GRACE_MS - now);
    } else if (step.kind === 'count') {
      // countCall is recordCall then snapshot, in one operation.
      const got = await store.countCall(session, step.tool, now);
      await reference.recordCall(session, step.tool, now);
      const naive = all.filter((r) => r.at > now - WINDOW).reduce((sum, r) => sum + r.count, 0);
      out.push({ actual: got.recordsReadLast10m, naive, reference: await reference.snapshot(session, step.tool, now), got });
    } else {
      const got = await store.snapshot(session, step.tool, now);
      const naive = all.filter((r) => r.at > now - WINDOW).reduce((sum, r) => sum + r.count, 0);
      out.push({ actual: got.recordsReadLast10m, naive, reference: await reference.snapshot(session, step.tool, now), got });
    }
  }
  return out;
}

export function runSessionActivityStoreContract(name: string, open: () => Promise<SessionActivityHarness>, options: { numRuns?: number; maxSteps?: number; shared?: boolean } = {}): void {
  const numRuns = options.numRuns ?? 300;
  const maxSteps = options.maxSteps ?? 300;
  const withStore = (title: string, body: (h: SessionActivityHarness) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const harness = await open();
      try {
        await body(harness);
      } finally {
        await harness.close?.();
      }
    });

  withStore('records read count inside the ten-minute window only', async ({ store }) => {
    const [s1, s2] = [newId('ses'), newId('ses')];
    let now = T0;
    await store.recordRead(s1, 3, now);
    now += 4 * MIN;
    await store.recordRead(s1, 2, now);
    await store.recordRead(s2, 7, now);
    assert.equal((await store.snapshot(s1, 't', now)).recordsReadLast10m, 5);
    now += 6 * MIN; // the first read is exactly ten minutes old: out
    assert.equal((await store.snapshot(s1, 't', now)).recordsReadLast10m, 2);
    now += 4 * MIN;
    assert.equal((await store.snapshot(s1, 't', now)).recordsReadLast10m, 0);
    assert.equal((await store.snapshot(s2, 't', now)).recordsReadLast10m, 0);
    await store.recordRead(s1, 1, now);
    assert.equal((await store.snapshot(s1, 't', now)).recordsReadLast10m, 1);
  });

  withStore('calls are counted per session and per tool; an unknown session is all zero', async ({ store }) => {
    const [s1, s2] = [newId('ses'), newId('ses')];
    await store.recordCall(s1, 'a', T0);
    await store.recordCall(s1, 'a', T0 + 1);
    await store.recordCall(s1, 'b', T0 + 2);
    await store.recordCall(s2, 'a', T0 + 2);
    assert.deepEqual(await store.snapshot(s1, 'a', T0 + 3), { callCount: 3, toolCallCount: 2, recordsReadLast10m: 0 });
    assert.deepEqual(await store.snapshot(s1, 'c', T0 + 3), { callCount: 3, toolCallCount: 0, recordsReadLast10m: 0 });
    assert.deepEqual(await store.snapshot(newId('ses'), 'a', T0 + 3), { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 });
  });

  withStore('a read that left the window counts again when the clock steps back over its edge', async ({ store }) => {
    const s = newId('ses');
    let now = T0;
    await store.recordRead(s, 5, now);
    now += WINDOW + 1000;
    assert.equal((await store.snapshot(s, 't', now)).recordsReadLast10m, 0);
    now -= 2000; // an NTP correction: the read is inside the last ten minutes again
    assert.equal((await store.snapshot(s, 't', now)).recordsReadLast10m, 5);
    now += STEP_BACK_GRACE_MS;
    await store.recordRead(s, 1, now);
    assert.equal((await store.snapshot(s, 't', now)).recordsReadLast10m, 1);
    now += -STEP_BACK_GRACE_MS + 500; // within the grace of the latest time: both count
    assert.equal((await store.snapshot(s, 't', now)).recordsReadLast10m, 6);
  });

  withStore('a read while the clock stands behind the latest read is stamped no earlier than it', async ({ store }) => {
    const s = newId('ses');
    await store.recordRead(s, 2, T0 + MIN);
    await store.recordRead(s, 3, T0); // the clock stepped back a minute
    // Ten minutes after the first read both have left: the second was stamped with the first's time.
    assert.equal((await store.snapshot(s, 't', T0 + MIN + WINDOW - 1)).recordsReadLast10m, 5);
    assert.equal((await store.snapshot(s, 't', T0 + MIN + WINDOW)).recordsReadLast10m, 0);
  });

  withStore('the read window equals the sum of every read in the last ten minutes (clock moving forward)', async ({ store }) => {
    await fc.assert(
      fc.asyncProperty(steps(0, maxSteps), async (run) => {
        for (const { actual, naive } of await replay(store, run)) assert.equal(actual, naive);
      }),
      { numRuns },
    );
  });

  withStore('a clock stepping back never makes the window count fewer reads, and every answer is the reference adapter\'s', async ({ store }) => {
    await fc.assert(
      fc.asyncProperty(steps(-2000, maxSteps), async (run) => {
        for (const { actual, naive, reference, got } of await replay(store, run)) {
          assert.ok(actual >= naive, `${actual} < ${naive}`);
          assert.deepEqual(got, reference);
        }
      }),
      { numRuns },
    );
  });

  withStore('a clock stepping back further than the grace agrees with the reference adapter', async ({ store }) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('read' as const), count: fc.integer({ min: 1, max: 9 }), at: fc.integer({ min: 0, max: 40 }) }),
            fc.record({ kind: fc.constant('snapshot' as const), at: fc.integer({ min: 0, max: 40 }) }),
          ),
          { maxLength: Math.min(maxSteps, 40) },
        ),
        async (run) => {
          const session = newId('ses');
          const reference = new MemorySessionActivityStore();
          for (const step of run) {
            const at = T0 + step.at * MIN; // anywhere in forty minutes, in any order
            if (step.kind === 'read') {
              await store.recordRead(session, step.count, at);
              await reference.recordRead(session, step.count, at);
            } else {
              assert.deepEqual(await store.snapshot(session, 'x', at), await reference.snapshot(session, 'x', at));
            }
          }
        },
      ),
      { numRuns: Math.max(10, Math.floor(numRuns / 3)) },
    );
  });

  withStore('concurrent calls and reads of one session are all counted', async (h) => {
    const s = newId('ses');
    const stores = [h.store, ...(h.another === undefined ? [] : [await h.another()])];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const store = stores[i % stores.length] as SessionActivityStore;
        return i % 2 === 0 ? store.recordCall(s, i % 4 === 0 ? 'a' : 'b', T0 + i) : store.recordRead(s, 2, T0 + i);
      }),
    );
    assert.deepEqual(await h.store.snapshot(s, 'a', T0 + 100), { callCount: 10, toolCallCount: 5, recordsReadLast10m: 20 });
  });

  withStore('a write is applied when it resolves, before durable(); durable() resolves (also with nothing written, and again)', async (h) => {
    await h.store.durable();
    const s = newId('ses');
    await h.store.countCall(s, 'a', T0);
    await h.store.recordRead(s, 3, T0 + 1);
    const reader = h.another === undefined ? h.store : await h.another();
    assert.deepEqual(await reader.snapshot(s, 'a', T0 + 2), { callCount: 1, toolCallCount: 1, recordsReadLast10m: 3 });
    await Promise.all([h.store.durable(), h.store.durable()]);
    await h.store.durable();
  });

  // Memory has no `another`: its counters die with the process.
  if (options.shared === true) {
    withStore('another store on the same data sees the same counters', async (h) => {
      assert.ok(h.another !== undefined, 'a shared adapter gives another store on its data');
      const s = newId('ses');
      await h.store.recordCall(s, 'a', T0);
      await h.store.recordRead(s, 4, T0 + 1);
      const other = await h.another();
      assert.deepEqual(await other.snapshot(s, 'a', T0 + 2), { callCount: 1, toolCallCount: 1, recordsReadLast10m: 4 });
      await other.recordCall(s, 'a', T0 + 3);
      assert.deepEqual(await h.store.snapshot(s, 'a', T0 + 4), { callCount: 2, toolCallCount: 2, recordsReadLast10m: 4 });
    });
  }
}
