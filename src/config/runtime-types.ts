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

export type OutputClassName = 'informational' | 'needs_confirmation' | 'needs_approval' | 'blocked';
export type DataClassName = 'secret' | 'card' | 'iban' | 'national_id' | 'email' | 'phone';
/** What happens to a detected value before it reaches the model. */
export type DataClassAction = 'redact' | 'tokenize' | 'allow';

export interface OutputsConfig {
  /** Directory of Cedar output policies (absolute); absent: the built-in output policies. */
  policyDir?: string;
  /** Class of an output no output policy matched. */
  defaultClass: OutputClassName;
  /** Owner and escalation path of each class. */
  classes: Record<OutputClassName, { owner: string; escalation: string[] }>;
  /** Data classes detected in tool results and model output, and what happens to them. */
  dataClasses: Partial<Record<DataClassName, DataClassAction>>;
  /** Roles that may resolve reference tokens (humans only). */
  referenceRoles: string[];
  /** Key that seals reference tokens (secret reference); default: beside the SQLite state, or per process. */
  referenceKey?: string;
  /** Hosts whose links may stay in outputs when they carry no data. */
  allowedHosts: string[];
}

/** Operational alerts the gateway raises itself. */
export interface AlertsConfig {
  /** An audit commit slower than this raises an `audit_delay` alert (absent: never). */
  auditCommitMs?: number;
  /** At most one alert of a kind per this many seconds. */
  cooldownSeconds: number;
}
