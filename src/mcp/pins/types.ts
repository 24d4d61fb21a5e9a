/**
 * Pins: the operator's decision about each upstream tool definition. One record per
 * (upstream prefix, upstream tool name) holds the definition last observed (`hash`), the
 * decision about *that* definition (`state`), and the definition last approved
 * (`approved_hash`). A tool is admitted only while the upstream serves exactly its approved
 * definition: a definition that changes becomes `pending` again (hidden, its calls denied)
 * until an operator approves the new one.
 */
import type { PinnedDefinition } from '../definition.ts';
import type { Finding } from '../scanner.ts';

export type PinState = 'pending' | 'approved' | 'rejected';

/** Who decided: an operator (verified token or host user), or first-use trust from config. */
export interface PinDecider {
  kind: 'operator' | 'first_use';
  user: string;
  tenant: string | null;
  issuer: string;
  roles: string[];
}

export interface PinRecord {
  upstream: string;
  tool: string;
  /** Decision about `hash` (the definition last observed). */
  state: PinState;
  hash: string;
  definition: PinnedDefinition;
  /** Poisoning-scanner findings for `definition`. */
  findings: Finding[];
  /** The definition an operator last approved (null: none, or revoked by a reject). */
  approved_hash: string | null;
  approved_definition: PinnedDefinition | null;
  first_seen_at: number;
  /** When `hash` was first observed. */
  observed_at: number;
  decided_at?: number;
  decided_by?: PinDecider;
  justification?: string;
}

export interface Observation {
  upstream: string;
  tool: string;
  hash: string;
  definition: PinnedDefinition;
  findings: Finding[];
  now: number;
}

export type ObservationChange = 'new' | 'changed' | 'unchanged';

export interface ObservationResult {
  record: PinRecord;
  change: ObservationChange;
  /** The hash observed before, for `changed`. */
  previous_hash: string | null;
}

export interface PinDecision {
  upstream: string;
  tool: string;
  /** The hash the operator reviewed: the decision applies only if it is still the one observed. */
  hash: string;
  verdict: 'approve' | 'reject';
  by: PinDecider;
  justification: string;
  now: number;
}

export interface PinStore {
  /** Records what an upstream serves now (atomically: read, compare, write). */
  observe(observation: Observation): Promise<ObservationResult>;
  get(upstream: string, tool: string): Promise<PinRecord | null>;
  /** Records, oldest observation first. */
  list(filter?: { upstream?: string; state?: PinState }): Promise<PinRecord[]>;
  /**
   * Approves or rejects the observed definition, only if it still has `hash` (compare and set).
   * Throws ERR_MCP_PIN_NOT_FOUND for an unknown tool and ERR_MCP_PIN_STALE when the observed
   * definition is no longer `hash`.
   */
  decide(decision: PinDecision): Promise<PinRecord>;
}
