import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { budgetBreach, toMicros } from './verdict.ts';
import { ZERO_TOTALS } from './types.ts';

const config = { session: { maxSteps: 10, maxToolCalls: 5, maxSpend: 2.5 }, loops: { maxIdenticalCalls: 3, maxDenials: 4 } };

test('a budget of N allows N; one more breaks it, with the code of the budget', () => {
  assert.equal(budgetBreach({ ...ZERO_TOTALS, steps: 10, toolCalls: 5, spendMicros: toMicros(2.5), identicalRun: 3, denials: 4 }, config), null);
  assert.equal(budgetBreach({ ...ZERO_TOTALS, steps: 11 }, config)?.code, 'budget.steps');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, toolCalls: 6 }, config)?.code, 'budget.tool_calls');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, spendMicros: toMicros(2.5) + 1 }, config)?.code, 'budget.spend');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, identicalRun: 4 }, config)?.code, 'loop.identical_calls');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, denials: 5 }, config)?.code, 'loop.denials');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, denials: 5 }, config, { denials: false }), null, 'left out where asked');
  assert.equal(budgetBreach({ ...ZERO_TOTALS, steps: 1e9, denials: 1e9 }, { session: {}, loops: {} }), null, 'no limits configured: never');
});

test('property: a breach is reported exactly when some total exceeds its limit', () => {
  fc.assert(
    fc.property(
      fc.record({ steps: fc.nat(20), toolCalls: fc.nat(10), spendMicros: fc.nat(5_000_000), identicalRun: fc.nat(6), denials: fc.nat(8) }),
      (t) => {
        const over = t.steps > 10 || t.toolCalls > 5 || t.spendMicros > 2_500_000 || t.identicalRun > 3 || t.denials > 4;
        assert.equal(budgetBreach(t, config) !== null, over);
      },
    ),
  );
});

test('a cost is charged rounded up: a sub-millionth cost is never free, and decimal costs keep their exact value', () => {
  assert.equal(toMicros(0), 0);
  assert.equal(toMicros(0.0000004), 1, 'a cost below one millionth still counts');
  assert.equal(toMicros(0.0000014), 2, 'a fraction of a millionth counts as a whole one');
  for (const [cost, micros] of [[0.02, 20_000], [0.07, 70_000], [2.5, 2_500_000], [0.1, 100_000], [1_000_000, 1e12]] as const) assert.equal(toMicros(cost), micros);
  // A session at max_spend 0.0001 with a tool costing 0.0000014: 100 calls (0.00014 spent) got through before.
  const tight = { session: { maxSpend: 0.0001 }, loops: {} };
  let calls = 0;
  while (budgetBreach({ ...ZERO_TOTALS, spendMicros: (calls + 1) * toMicros(0.0000014) }, tight) === null) calls++;
  assert.ok(calls * 0.0000014 <= 0.0001, `${calls} calls spend ${calls * 0.0000014}`);
});

test('property: the calls a spend budget lets through never cost more than max_spend', () => {
  fc.assert(
    fc.property(
      fc.double({ min: 1e-9, max: 10, noNaN: true }),
      fc.double({ min: 1e-9, max: 1000, noNaN: true }),
      (cost, maxSpend) => {
        const config = { session: { maxSpend }, loops: {} };
        const charge = toMicros(cost);
        assert.ok(charge >= 1, 'a positive cost is charged');
        const limit = Math.floor(maxSpend * 1e6) + 1;
        // The largest number of calls not refused.
        let n = Math.floor(limit / charge);
        while (n > 0 && budgetBreach({ ...ZERO_TOTALS, spendMicros: n * charge }, config) !== null) n--;
        assert.equal(budgetBreach({ ...ZERO_TOTALS, spendMicros: (n + 1) * charge }, config)?.code, 'budget.spend');
        assert.ok(n * cost <= maxSpend * (1 + 1e-9), `${n} calls of ${cost} spend more than ${maxSpend}`);
      },
    ),
  );
});
