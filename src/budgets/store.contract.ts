/** Contract every SessionBudgetStore adapter must meet; run by each adapter's test file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../core/ids.ts';
import type { SessionBudgetStore } from './types.ts';

const T0 = 1_767_225_600_000;
const call = (fingerprint: string | null, spendMicros = 0) => ({ steps: 1, toolCalls: fingerprint === null ? 0 : 1, spendMicros, fingerprint });

export interface BudgetHarness {
  store: SessionBudgetStore;
  another(): Promise<SessionBudgetStore>;
  restart?: () => Promise<SessionBudgetStore>;
  close?: () => Promise<void>;
}

export function runSessionBudgetStoreContract(name: string, makeHarness: () => Promise<BudgetHarness>, options: { propertyRuns?: number } = {}): void {
  const withHarness = (title: string, body: (h: BudgetHarness) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const h = await makeHarness();
      try {
        await body(h);
      } finally {
        await h.close?.();
      }
    });

  withHarness('charges add up per session; identical fingerprints extend the run, another restarts it, a non-call leaves it', async ({ store }) => {
    const s = newId('ses');
    assert.deepEqual(await store.totals(s), { steps: 0, toolCalls: 0, spendMicros: 0, identicalRun: 0, denials: 0 });
    assert.deepEqual(await store.charge(s, call('a', 250_000), T0), { steps: 1, toolCalls: 1, spendMicros: 250_000, identicalRun: 1, denials: 0 });
    assert.equal((await store.charge(s, call('a', 250_000), T0)).identicalRun, 2);
    assert.equal((await store.charge(s, call(null), T0)).identicalRun, 2, 'an output classification is not a call');
    assert.equal((await store.charge(s, call('a'), T0)).identicalRun, 3);
    const switched = await store.charge(s, call('b', 1), T0);
    assert.deepEqual(switched, { steps: 5, toolCalls: 4, spendMicros: 500_001, identicalRun: 1, denials: 0 });
    assert.equal((await store.recordDenial(s, T0)).denials, 1);
    assert.equal((await store.recordDenial(s, T0)).denials, 2);
    assert.deepEqual(await store.totals(s), { ...switched, denials: 2 });
    assert.deepEqual(await store.totals(newId('ses')), { steps: 0, toolCalls: 0, spendMicros: 0, identicalRun: 0, denials: 0 }, 'sessions are separate');
  });

  withHarness('concurrent charges through two handles: each counted once, each total distinct', async (h) => {
    const other = await h.another();
    const s = newId('ses');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? h.store : other).charge(s, call('same', 10), T0)));
    assert.deepEqual(results.map((r) => r.toolCalls).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.deepEqual(await h.store.totals(s), { steps: 20, toolCalls: 20, spendMicros: 200, identicalRun: 20, denials: 0 });
  });

  withHarness('property: the totals equal the sum of the charges, and the run is the length of the last stretch of equal fingerprints', async (h) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ fp: fc.constantFrom('a', 'b', null), spend: fc.integer({ min: 0, max: 5_000_000 }) }), { minLength: 1, maxLength: 20 }), async (charges) => {
        const s = newId('ses');
        for (const c of charges) await h.store.charge(s, call(c.fp, c.spend), T0);
        const totals = await h.store.totals(s);
        assert.equal(totals.steps, charges.length);
        assert.equal(totals.spendMicros, charges.reduce((n, c) => n + c.spend, 0));
        const calls = charges.filter((c) => c.fp !== null);
        assert.equal(totals.toolCalls, calls.length);
        let run = 0;
        for (let i = calls.length - 1; i >= 0 && calls[i]?.fp === calls.at(-1)?.fp; i--) run++;
        assert.equal(totals.identicalRun, run);
      }),
      { numRuns: options.propertyRuns ?? 30 },
    );
  });

  withHarness('a restart keeps the totals (durable adapters)', async (h) => {
    if (h.restart === undefined) {
      assert.equal(name, 'memory');
      return;
    }
    const s = newId('ses');
    await h.store.charge(s, call('a', 7), T0);
    await h.store.charge(s, call('a', 7), T0);
    await h.store.recordDenial(s, T0);
    const reopened = await h.restart();
    assert.deepEqual(await reopened.totals(s), { steps: 2, toolCalls: 2, spendMicros: 14, identicalRun: 2, denials: 1 });
    assert.equal((await reopened.charge(s, call('a'), T0)).identicalRun, 3);
  });
}
