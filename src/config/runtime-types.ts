/** Types of the runtime-control sections of `airlock.yaml` (camelCase, defaults applied). */

export interface IdempotencyConfig {
  /** Role that lists and resolves idempotency records (humans only). */
  operatorRole: string;
  /** How long completed and failed records are kept (unknown outcomes are kept until resolved). */
  retentionSeconds: number;
  /** A pending record is reported `outcome_unknown` once the tool's timeout plus this grace has passed. */
  leaseGraceSeconds: number;
  /** Largest result kept for replays (bytes of its JSON); a larger one is replayed without its result. */
  maxResultBytes: number;
}

export interface BudgetsConfig {
  /** Per-session budgets (absent: unlimited). */
  session: { maxSteps?: number; maxToolCalls?: number; maxSpend?: number };
  /** Runaway-loop detection (absent: off). */
  loops: { maxIdenticalCalls?: number; maxDenials?: number };
}
