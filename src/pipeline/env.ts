/**
 * What the phases may use: every dependency of the pipeline, as narrow interfaces.
 * createGateway builds one from the config and the domain modules; tests build one
 * with fault-injecting parts.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import type { Connector, PolicyEngine, Principal, RateLimiter, RegisteredTool, ResourceScope } from '../core/types.ts';
import type { ApprovalRequest, ApprovalStore } from '../approvals/index.ts';
import type { AuditStore } from '../audit/index.ts';
import type { SessionStore } from '../sessions/index.ts';
import type { KillSwitchConfig } from '../config/types.ts';
import type { KillSwitchSubject, KillSwitchVerdict } from '../killswitch/index.ts';
import type { CallObservation } from '../metrics/index.ts';
import type { CallTracer } from '../tracing/index.ts';
import type { SessionContent } from './content.ts';
import type { SessionActivityStore } from '../sessions/activity.ts';
import type { IdempotencyRecord, IdempotencyStore } from '../idempotency/index.ts';
import type { BudgetBreach, BudgetTotals, SessionBudgetStore } from '../budgets/index.ts';
import type { BudgetsConfig } from '../config/types.ts';
import type { CallState } from './call.ts';
import type { OutputGovernance } from './outputs.ts';

export type ArgumentCheck =
  | { ok: true; value: Record<string, JsonValue> }
  | { ok: false; errors: Array<{ path: string; message: string }> };

export interface ToolCatalog {
  get(name: string): RegisteredTool | undefined;
  list(): RegisteredTool[];
  /** Schema validation plus normalization; the value is what gets hashed and decided on. */
  check(tool: RegisteredTool, args: unknown): ArgumentCheck;
  hash(args: Record<string, JsonValue>): string;
  summarize(tool: RegisteredTool, args: Record<string, JsonValue>): JsonValue;
  scope(tool: RegisteredTool, args: Record<string, JsonValue>, principal: Principal): Promise<ResourceScope>;
  affectedCount(tool: RegisteredTool, args: Record<string, JsonValue>, principal: Principal): Promise<number>;
  /** Throws ERR_TOOLS_RESULT_SCHEMA when the result does not match the declared output schema. */
  checkResult(tool: RegisteredTool, result: unknown): void;
}

/** Why a registered tool may not be called right now (e.g. its upstream definition is not approved). */
export interface ToolRefusal {
  code: string;
  /** `builtin.*` rule id reported with the deny. */
  rule: string;
  reason: string;
}

export interface PipelineEnv {
  clock: Clock;
  verifyToken(token: string): Promise<Principal>;
  findIdentityMismatches(principal: Principal, body: unknown): Array<{ field: string; claimed: string; actual: string }>;
  tools: ToolCatalog;
  /** The active policy engine (may be swapped by a reload). */
  policy(): PolicyEngine;
  policyTimeoutMs: number;
  limiter: RateLimiter | null;
  audit: AuditStore;
  sessions: SessionStore;
  /** Refuse an agent's call that names no session (`sessions.required`). */
  sessionsRequired: boolean;
  /** Per-session counters policy sees (calls, calls per tool, records read in ten minutes); durable with a state database. */
  sessionActivity: SessionActivityStore;
  /** What each session has seen: its registered content by trust, for argument provenance (logged, then indexed). */
  provenance: SessionContent;
  /** The latest context manifest of each session (attached to its later decisions). */
  contextManifests: { manifestHash(sessionId: string): string | undefined };
  approvals: ApprovalStore;
  /** Verifies and consumes one-time approval tokens (atomically, in the approval store). */
  approvalTokens: { consume(token: string, input: { actionHash: string; principal: Principal; session: string | null }): Promise<{ id: string }> };
  approvalTtlMs: number;
  /** Mints just-in-time credentials scoped by the policy's obligations. */
  credentials: {
    mint(request: {
      scope: string;
      ttlSeconds?: number;
      audience: string;
      actionHash: string;
      principal: { user: string; tenant: string; agent?: string };
      session?: string;
      target?: { tool: string; resource: { type: string; id: string | null }; arguments: Record<string, JsonValue> };
    }): Promise<{ token: string; jti: string; scope: string; audience: string; expiresAt: number }>;
  };
  connector(tool: RegisteredTool): Connector;
  /** Break-glass overrides (null: none configured). `recordUse` is null when the override closed meanwhile. */
  overrides: {
    match(query: { tenant: string; tool: string; actionHash: string }): Promise<{ id: string } | null>;
    recordUse(id: string, by: Principal): Promise<{ id: string } | null>;
  } | null;
  /** Told about every approval request once it is durably recorded (never awaited, never fails the call). */
  notifyApproval?: (request: ApprovalRequest) => void;
  killSwitch: KillSwitchConfig;
  /** Runtime kill switches: the gateway's local snapshot (no I/O per call; fails closed when stale). Absent: config switches only. */
  killSwitches?: {
    check(subject: KillSwitchSubject): KillSwitchVerdict;
    /** Re-reads the store (bounded); resolves when the snapshot is confirmed or the read failed. */
    refresh(): Promise<void>;
  };
  /** Admission of tools from a tool source (MCP pins), checked at resolve; null admits. */
  admitTool?: (tool: RegisteredTool) => ToolRefusal | null | Promise<ToolRefusal | null>;
  /**
   * Faults the pipeline survives but must not hide: a stopped call (deny or hold) whose
   * decision event could not be written. The call is still refused; the count is in
   * gateway.stats() and `onUnrecorded` (e.g. the server's logger) hears about each one.
   */
  faults: { unrecordedStops: number; onUnrecorded?: (info: { request_id: string; code: string; error: unknown }) => void };
  runtime: { modelId: string | null; configId: string | null };
  /** Idempotency keys (null: keys are passed to connectors but not recorded). */
  idempotency?: {
    store: IdempotencyStore;
    /** Added to a tool's timeout: how long a claim stays pending before it reads as an unknown outcome. */
    leaseGraceMs: number;
    maxResultBytes: number;
    /** The tool's authoritative status check of a recorded call (`unknown` when it has none or it failed). */
    checkStatus(tool: RegisteredTool, record: IdempotencyRecord, principal: Principal): Promise<'executed' | 'not_executed' | 'unknown'>;
    /** Records a resolution in the audit log (operator null: a status check). */
    onResolved(record: IdempotencyRecord, operator: Principal | null): Promise<void>;
  } | null;
  /** Output governance: links, data classes, output classes (null: off, e.g. in narrow tests). */
  outputs?: OutputGovernance | null;
  /** Per-session budgets and loop detection (null: none configured). */
  budgets?: {
    store: SessionBudgetStore;
    config: BudgetsConfig;
    /** Suspends the call's session (kill switch, credential revocation, alert event); once per session. */
    suspend(call: CallState, breach: BudgetBreach, totals: BudgetTotals): Promise<void>;
  } | null;
  /** Told about every call once it has ended (null: metrics disabled). */
  metrics?: { observeCall(call: CallObservation): void; observeOutput?(source: 'tool_result' | 'model_output', outputClass: string): void } | null;
  /** Spans of every call (OpenTelemetry, config `tracing`); absent: traceparent passed through only. */
  tracer?: CallTracer;
}
