/**
 * The state one tool call carries through the pipeline, the requests the doors hand in,
 * and the results they get back. Phases read and fill a CallState; a phase that decides
 * the call may not go on sets `stop` and the composer ends the run.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { SessionLabelNames } from '../provenance/index.ts';
import type { CallSecrets, RedactionRecord } from './call-secrets.ts';
import type { RegisteredSessionContent } from './content.ts';
import type { ArgumentTaint, Decision, EgressHop, SandboxReport, DecisionReason, PolicyEvaluation, Principal, ReasonCode, RegisteredTool, ResourceScope, SessionSnapshot, TargetScopeSummary } from '../core/types.ts';
import type { ApprovalRequest } from '../approvals/index.ts';
import type { SessionRecord } from '../sessions/index.ts';
import type { CallDoor, CallTrace, TraceContextCarrier } from '../tracing/index.ts';
import type { IdempotencyOwner, IdempotencyRecord } from '../idempotency/index.ts';
import type { BudgetBreach, BudgetTotals } from '../budgets/index.ts';
import type { OutputAnswer } from './outputs.ts';

export type Mode = 'decide' | 'execute' | 'simulate';

/** A tool call as the doors receive it (HTTP body fields, library arguments). */
export interface ToolCallRequest {
  /** Bearer token of the caller: the only source of identity. */
  token: string;
  tool: string;
  arguments: unknown;
  session_id?: string;
  intent?: string;
  approval_token?: string;
  idempotency_key?: string;
  /** Caller-supplied correlation: trace and parent action ids (validated, never trusted for authority). */
  trace_id?: string;
  parent_action_id?: string;
  /**
   * The caller's W3C trace context (HTTP `traceparent`/`tracestate` headers, MCP `_meta`). A
   * valid one names the audit trace (`trc_<trace id>`, before any `trace_id`) and the parent
   * of the call's span; a malformed one is ignored.
   */
  trace_context?: TraceContextCarrier;
  /** Which door the call came through (span names and kinds); the library when absent. */
  door?: CallDoor;
  /** The whole request body as received, inspected for identity claims that disagree with the token. */
  raw_body?: unknown;
}

/** The ids every answer about a call carries; each one leads to the call's lineage. */
export interface CallIds {
  request_id: string;
  action_id: string;
  decision_id: string;
}

/** What an answer says about the call's idempotency key (present when it named one). */
export interface IdempotencyAnswer {
  record_id: string | null;
  /** True when the answer was replayed from the record (nothing ran again). */
  replayed: boolean;
  /** The record's reported state (`pending`, `completed`, `failed`, `outcome_unknown`); null when no record holds the key. */
  state: string | null;
  /** The call that first used the key. */
  original_request_id: string | null;
  original_action_id: string | null;
  /** True when a replayed result was too large to keep (the answer carries none). */
  result_omitted?: boolean;
  /** How an unknown outcome was settled (operator or status check), when it was. */
  resolution?: { via: 'operator' | 'status_check'; outcome: 'executed' | 'not_executed' };
}

export type ToolCallResult =
  | (CallIds & { status: 'executed'; decision: Decision; result: JsonValue; result_trust: 'trusted' | 'untrusted'; output?: OutputAnswer; idempotency?: IdempotencyAnswer })
  | (CallIds & { status: 'approval_required'; approval_id: string; decision: Decision })
  | (CallIds & { status: 'denied'; decision: Decision })
  | (CallIds & { status: 'failed'; decision: Decision; error: { code: string; message: string }; output?: OutputAnswer; idempotency?: IdempotencyAnswer })
  /** The key is held by another action, or by a call still running (409). */
  | (CallIds & { status: 'conflict'; decision: Decision; error: { code: string; message: string }; idempotency: IdempotencyAnswer })
  /** The earlier call with this key has an unknown outcome: nothing runs until it is resolved (409). */
  | (CallIds & { status: 'outcome_unknown'; decision: Decision; error: { code: string; message: string }; idempotency: IdempotencyAnswer });

export interface SimulationResult extends CallIds {
  outcome: Decision['outcome'];
  summary: string;
  affected_resources: number;
  approval: { required: boolean; state: 'not_required' | 'required' | 'denied'; role: string | null };
  decision: Decision;
}

/** Why the pipeline stopped before the end. */
export interface Stop {
  outcome: 'deny' | 'approval_required';
  code: ReasonCode;
  phase: string;
  reasons: DecisionReason[];
}

export interface CallState {
  mode: Mode;
  request: ToolCallRequest;
  request_id: string;
  trace_id: string;
  action_id: string;
  decision_id: string;
  startedNs: bigint;
  /** The call's spans (a no-op when it is neither traced nor came with a traceparent). */
  tracing: CallTrace;
  /** Phase name -> microseconds since the start of the call, when the phase finished. */
  timings: Record<string, number>;
  principal?: Principal;
  session?: SessionRecord;
  sessionSnapshot?: SessionSnapshot;
  identityMismatches: Array<{ field: string; claimed: string; actual: string }>;
  tool?: RegisteredTool;
  arguments?: Record<string, JsonValue>;
  argsHash?: string;
  argsSummary?: JsonValue;
  resource?: ResourceScope;
  affectedCount?: number;
  /** The session's declared target scope and the arguments outside it (authorize phase; absent when the session declared none). */
  targetScope?: TargetScopeSummary;
  /**
   * Argument provenance (trace phase): tainted arguments with their sources, the session's
   * labels, and what Cedar sees as `context.taint` (paths with their ancestors, all sources).
   */
  trace?: {
    taint: ArgumentTaint[];
    labels: SessionLabelNames;
    arguments: string[];
    /** Paths (with ancestors) per grade of evidence: injected; instructed or worse; directive or worse; anything but pointed. */
    injected: string[];
    instructed: string[];
    directive: string[];
    unnamed: string[];
    sources: string[];
    manifestHash?: string;
  };
  /** The executed result, registered as session content (execute mode, inspect phase). */
  resultContent?: RegisteredSessionContent;
  /** The policy engine's answer, when it was asked. */
  evaluation?: PolicyEvaluation;
  policyVersion?: string;
  decision?: Decision;
  approvalId?: string;
  /** Just-in-time credential for this call: the token goes to the connector (or, in decide mode, the runtime) only. */
  credential?: { token: string; jti: string; scope: string; audience: string; expiresAt: number };
  /** The approval whose one-time token this call consumed (the hold is lifted). */
  approvedBy?: string;
  /** The new approval request stored for a held call (told to the notification webhook once recorded). */
  approvalRequest?: ApprovalRequest;
  /** The break-glass override that lifted a policy deny or hold. */
  overrideId?: string;
  /** The runtime kill switch that refused the call. */
  killSwitchId?: string;
  /** Canonical action hash, once computed (approvals, overrides, credentials bind to it). */
  actionHash?: string;
  /** The secret values in play for this call (credential, connector secrets), to be removed from what comes back. */
  secrets?: CallSecrets;
  /** Outbound hops and sandbox runs the connector reported (execute phase), for the result event. */
  boundary?: { egress: EgressHop[]; sandbox: SandboxReport[] };
  /** What the inspect phase removed from the result and error text (counts by kind, never values). */
  redacted?: RedactionRecord;
  result?: JsonValue;
  resultError?: { code: string; message: string };
  /**
   * The call's idempotency key (execute mode): its scope and the action's fingerprint, the
   * record found for it, and the record this call claimed.
   */
  idempotency?: { key: string; owner: IdempotencyOwner; scope: string; fingerprint: string; found?: IdempotencyRecord; claimed?: IdempotencyRecord };
  /** The session budget or loop limit this call broke (the session is suspended once the call has ended). */
  budgetBreach?: BudgetBreach & { totals: BudgetTotals };
  /** The class of the tool's result (output policies), with what was found in it. */
  output?: OutputAnswer;
  /** A repeat of a key on record: its recorded answer is replayed, nothing runs. */
  replay?: IdempotencyRecord;
  /** Connector attempts made (more than 1 only for an idempotent tool with retries). */
  attempts?: number;
  /** Set once the connector has been called: from here on the call can no longer be denied. */
  executed: boolean;
  /** A fault after execution (e.g. the result could not be recorded). */
  fault?: unknown;
  /** Policy asked for a human approval; the approve phase decides what that means for this call. */
  hold?: Stop;
  stop?: Stop;
}

export function builtinReason(policyId: string, code: ReasonCode, reason: string): DecisionReason {
  return { policy_id: policyId, effect: 'forbid', reason, code };
}

/** Stops the call with a gateway-enforced deny. */
export function denyWith(call: CallState, phase: string, code: ReasonCode, policyId: string, reason: string): void {
  call.stop = { outcome: 'deny', code, phase, reasons: [builtinReason(policyId, code, reason)] };
}
