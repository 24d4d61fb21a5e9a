/** Session budgets and runaway-loop detection: totals, the store interface, its memory adapter and the breach rules. */
export { MemorySessionBudgetStore } from './memory-store.ts';
export { budgetBreach, budgetsEnabled, toMicros } from './verdict.ts';
export type { BudgetBreach } from './verdict.ts';
export { ZERO_TOTALS } from './types.ts';
export type { BudgetCharge, BudgetTotals, SessionBudgetStore } from './types.ts';
