/**
 * Per-session budgets and runaway-loop signals: what a session has used (steps, tool calls,
 * spend), how many identical calls it has made in a row, how many of its calls were denied —
 * and the store every adapter implements. Spend is kept in millionths (whole numbers), so
 * sums never drift.
 */

export interface BudgetCharge {
  /** Requests of the session through the gateway (tool calls, output classifications, context assemblies). */
  steps: number;
  /** Tool calls decided or executed. */
  toolCalls: number;
  /** Spend in millionths of the configured unit (a tool's `cost` x 1e6). */
  spendMicros: number;
  /**
   * What the call was (tool + normalized arguments hash), for the identical-call run; null: the
   * charge is not a tool call and leaves the run as it is.
   */
  fingerprint: string | null;
}

export interface BudgetTotals {
  steps: number;
  toolCalls: number;
  spendMicros: number;
  /** Consecutive tool calls with the latest fingerprint (0 before the first). */
  identicalRun: number;
  /** Calls of the session that were denied. */
  denials: number;
}

export const ZERO_TOTALS: BudgetTotals = Object.freeze({ steps: 0, toolCalls: 0, spendMicros: 0, identicalRun: 0, denials: 0 });

/**
 * Where each session's usage lives (memory, SQLite state database, or the fleet's PostgreSQL:
 * one budget for every replica). Every method rejects (ERR_STATE_UNAVAILABLE /
 * ERR_STORE_UNAVAILABLE) when the store cannot answer; the pipeline then refuses the call.
 */
export interface SessionBudgetStore {
  /**
   * Adds the charge and answers the totals including it, as one atomic step: concurrent
   * charges of a session are each counted once and each sees a distinct running total. A
   * fingerprint equal to the session's latest extends the identical run; another one starts a
   * new run of 1. Durable once it resolves (a lost commit answer may have counted: errs high).
   */
  charge(sessionId: string, charge: BudgetCharge, at: number): Promise<BudgetTotals>;
  /** Counts one denied call of the session; answers the totals including it (atomic, durable as charge). */
  recordDenial(sessionId: string, at: number): Promise<BudgetTotals>;
  /** The session's totals (all zero for a session with no usage). */
  totals(sessionId: string): Promise<BudgetTotals>;
}
