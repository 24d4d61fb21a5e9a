/**
 * Idempotency records and the store every adapter implements. A record remembers, for one
 * idempotency key of one caller, which action the key was first used for (its fingerprint)
 * and what came of it, so a repeat of the key is answered from the record instead of running
 * the action again.
 *
 * States:
 * - `pending`: claimed by a call that is about to run (or running) its connector. A pending
 *   record whose lease has passed (the gateway that claimed it died or lost its answer) is
 *   reported as `outcome_unknown`.
 * - `completed`: the connector answered; the (inspected) result is kept.
 * - `failed`: the connector answered with an error; the error is kept.
 * - `outcome_unknown`: the connector did not answer in time: whether the side effect happened
 *   is unknown. Never retried blindly: an operator or the tool's authoritative status check
 *   resolves it (executed: the record completes; not executed: the record is dropped so the
 *   key can run once more).
 */
import type { JsonValue } from '../core/canonical.ts';

export const IDEMPOTENCY_STATES = ['pending', 'completed', 'failed', 'outcome_unknown'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/** Who a key belongs to: the verified principal (tenant, issuer, user, acting agent). */
export interface IdempotencyOwner {
  tenant: string;
  issuer: string;
  user: string;
  agent: string | null;
}

export interface IdempotencyOutcome {
  /** The result handed back (after inspection: secrets removed, schema checked). Absent when too large to keep. */
  result?: JsonValue;
  result_trust?: 'trusted' | 'untrusted';
  /** True when the result was too large to keep (a replay answers without it). */
  result_omitted?: boolean;
  error?: { code: string; message: string };
  /** The output class the result got (output governance), replayed with it. */
  output?: JsonValue;
}

/** How an unknown outcome was settled. */
export interface IdempotencyResolution {
  via: 'operator' | 'status_check';
  outcome: 'executed' | 'not_executed';
  /** The operator (null for a status check). */
  by: { user: string; tenant: string; issuer: string } | null;
  justification: string;
  at: number;
}

export interface IdempotencyRecord {
  /** `idm_...` */
  id: string;
  /** Hash of owner + key: the uniqueness key of the store. */
  scope: string;
  owner: IdempotencyOwner;
  /** The caller's key as given (bounded, control-character free). */
  key: string;
  tool: string;
  /** Hash of what the key was first used for (tool, normalized arguments, target). */
  fingerprint: string;
  state: IdempotencyState;
  /** The call that claimed the key (its lineage ids). */
  request_id: string;
  action_id: string;
  session_id: string | null;
  /** Epoch milliseconds. */
  created_at: number;
  updated_at: number;
  /** A `pending` record past this time is reported as `outcome_unknown`. */
  lease_until: number;
  outcome?: IdempotencyOutcome;
  resolution?: IdempotencyResolution;
}

export type ClaimResult = { claimed: true; record: IdempotencyRecord } | { claimed: false; record: IdempotencyRecord };

export interface SettleInput {
  state: 'completed' | 'failed' | 'outcome_unknown';
  outcome: IdempotencyOutcome;
  at: number;
}

/**
 * Where idempotency records live (memory, the SQLite state database, or the fleet's
 * PostgreSQL). Every method rejects (ERR_STATE_UNAVAILABLE / ERR_STORE_UNAVAILABLE) when the
 * store cannot answer; the pipeline then refuses the call (fail closed): it never runs an
 * action whose key it could not check.
 */
export interface IdempotencyStore {
  /**
   * Claims the record's scope: stores it (state `pending`) unless a record with that scope
   * exists. Atomic: of any number of concurrent claims of one scope, through any handles on
   * the same storage, exactly one gets `claimed: true`; every other gets the record that
   * holds the scope. Durable once it resolves with `claimed: true`.
   */
  claim(record: IdempotencyRecord): Promise<ClaimResult>;
  /** The record holding a scope, or null. */
  find(scope: string): Promise<IdempotencyRecord | null>;
  /** One record by id, or null. */
  get(id: string): Promise<IdempotencyRecord | null>;
  /**
   * Compare-and-set: moves the record from `pending`, claimed by `actionId`, to the given
   * state with its outcome. Null (nothing changed) when the record is not pending or was
   * claimed by another call.
   */
  settle(id: string, actionId: string, input: SettleInput): Promise<IdempotencyRecord | null>;
  /**
   * Compare-and-set: drops a `pending` record claimed by `actionId` (the call stopped before
   * its connector ran). True when it was dropped.
   */
  release(id: string, actionId: string): Promise<boolean>;
  /**
   * Compare-and-set: settles an unknown outcome — a record in `outcome_unknown`, or `pending`
   * with its lease passed at `now`. `executed`: the record becomes `completed` with the
   * resolution and the outcome `{ result_omitted: true }` (it ran; its result was never seen). `not_executed`: the record is dropped (the key may run again).
   * Of concurrent resolutions exactly one applies; the others (and any resolution of a record
   * in another state) get null. Answers the record as it stands after the resolution.
   */
  resolve(id: string, resolution: IdempotencyResolution, now: number): Promise<IdempotencyRecord | null>;
  /** A tenant's records, newest first, optionally in one stored state; at most `limit` (default 100). */
  list(tenant: string, filter?: { state?: IdempotencyState; limit?: number }): Promise<IdempotencyRecord[]>;
  /**
   * Drops `completed` and `failed` records last changed before `before` (epoch ms) and returns
   * how many. Records with an unknown outcome (and pending ones) are never purged.
   */
  purge(before: number): Promise<number>;
}

/** The state to report: a pending record past its lease is `outcome_unknown`. */
export function effectiveState(record: IdempotencyRecord, now: number): IdempotencyState {
  return record.state === 'pending' && record.lease_until < now ? 'outcome_unknown' : record.state;
}
