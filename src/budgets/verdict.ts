/**
 * Whether a session's totals break its budgets or look like a runaway loop. A budget of N
 * allows N; the call that takes the total past it is refused and the session suspended.
 * `max_identical_calls: N` allows N identical calls in a row; `max_denials: N` allows N
 * denied calls in the session.
 */
import type { BudgetsConfig } from '../config/types.ts';
import type { BudgetTotals } from './types.ts';

export interface BudgetBreach {
  /** Reason code of the refusal and the suspension. */
  code: 'budget.steps' | 'budget.tool_calls' | 'budget.spend' | 'loop.identical_calls' | 'loop.denials';
  reason: string;
}

/**
 * A cost in millionths, rounded up: a charge never counts for less than it costs (a cost
 * below one millionth is still one, never free), so whole-number sums cannot drift under a
 * budget. Float noise of the decimal (0.07 x 1e6 = 70000.00000000001) is not a fraction.
 */
export const toMicros = (cost: number): number => {
  const scaled = cost * 1_000_000;
  const nearest = Math.round(scaled);
  return nearest > 0 && Math.abs(scaled - nearest) <= nearest * 1e-12 ? nearest : Math.ceil(scaled);
};

/** A spend limit in millionths, rounded down (a limit never allows more than it says). */
export const limitMicros = (limit: number): number => {
  const scaled = limit * 1_000_000;
  const nearest = Math.round(scaled);
  return nearest > 0 && Math.abs(scaled - nearest) <= nearest * 1e-12 ? nearest : Math.floor(scaled);
};

/**
 * The first limit the totals break. `denials: false` leaves the denial limit out (the budget
 * phase: a session released after it was suspended for denials is not refused for the same
 * denials again; the limit is checked when a new denial is counted).
 */
export function budgetBreach(totals: BudgetTotals, config: BudgetsConfig, options: { denials?: boolean } = {}): BudgetBreach | null {
  const { session, loops } = config;
  if (session.maxSteps !== undefined && totals.steps > session.maxSteps) {
    return { code: 'budget.steps', reason: `session step budget exhausted (${totals.steps} > ${session.maxSteps})` };
  }
  if (session.maxToolCalls !== undefined && totals.toolCalls > session.maxToolCalls) {
    return { code: 'budget.tool_calls', reason: `session tool-call budget exhausted (${totals.toolCalls} > ${session.maxToolCalls})` };
  }
  if (session.maxSpend !== undefined && totals.spendMicros > limitMicros(session.maxSpend)) {
    return { code: 'budget.spend', reason: `session spend budget exhausted (${totals.spendMicros / 1_000_000} > ${session.maxSpend})` };
  }
  if (loops.maxIdenticalCalls !== undefined && totals.identicalRun > loops.maxIdenticalCalls) {
    return { code: 'loop.identical_calls', reason: `runaway loop: ${totals.identicalRun} identical calls in a row (at most ${loops.maxIdenticalCalls})` };
  }
  if (options.denials !== false && loops.maxDenials !== undefined && totals.denials > loops.maxDenials) {
    return { code: 'loop.denials', reason: `runaway loop: ${totals.denials} denied calls in the session (at most ${loops.maxDenials})` };
  }
  return null;
}

/** True when any budget or loop limit is configured. */
export function budgetsEnabled(config: BudgetsConfig): boolean {
  return Object.keys(config.session).length > 0 || Object.keys(config.loops).length > 0;
}
