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
