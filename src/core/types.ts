/**
 * Shared types: the vocabulary every module speaks — principals, tools, decisions, audit
 * events, connectors and limits. Domain modules import these and nothing sideways. Each
 * domain owns its own records and store interface (approvals/types.ts, sessions/types.ts,
 * audit/types.ts, ...); the store factory (src/stores) builds their adapters and the
 * pipeline wires them.
 */
import type { JsonValue } from './canonical.ts';

// ---------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------

/** Who is really asking, taken only from a verified token. */
export interface Principal {
  /** `sub` of the token. */
  user: string;
  tenant: string;
  roles: string[];
  /** Acting agent (RFC 8693 `act.sub`), when the token carries a delegation. */
  agent?: string;
  /** Full delegation chain, outermost actor first (`act.sub`, `act.act.sub`, ...). */
  delegation: string[];
  /** Session id claim of the token (`sid`), if any. */
  tokenSession?: string;
  issuer: string;
  /** `jti` of the token, when present. */
  tokenId?: string;
  /** Token expiry, epoch seconds. */
  expiresAt?: number;
}

// ---------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------

export const SIDE_EFFECT_CLASSES = ['none', 'read', 'write', 'irreversible', 'external_send'] as const;
export type SideEffectClass = (typeof SIDE_EFFECT_CLASSES)[number];

export type JsonSchema = { [key: string]: JsonValue };

/** How the number of affected resources of a call is computed (for policy and simulate). */
export type AffectedCountSpec =
  | { const: number }
  /** Length of an array argument (1 for a scalar, 0 when absent). Path is dotted. */
  | { count_of: string }
  /** A registered in-process function `(args, principal) => number`, read-only. */
  | { resolver: string };

export interface ResourceSpec {
  /** Argument (dotted path) holding the target resource id; absent for tools with no single target. */
  argument?: string;
  /** Cedar-friendly resource type name, e.g. `Customer`. */
  type: string;
  /**
   * Registered resolver `(id, principal) => {tenant, attributes} | null` telling who owns a
   * resource. Required when the tool is tenant-bound and names a target argument.
   */
  resolver?: string;
}

export type ConnectorSpec =
  | { type: 'function'; handler: string }
  | {
      type: 'http';
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      /** URL template; `{name}` is replaced by the URL-encoded argument `name`. */
      url: string;
      headers?: Record<string, string>;
      /** This connector's own egress allowlist (replaces the global `egress.allow`). */
      egress?: EgressRuleConfig[];
    }
  /** A tool of an upstream MCP server (`upstream` is its prefix); the MCP hub provides the connector. */
  | { type: 'mcp'; upstream: string; tool: string; /** The upstream's URL (streamable HTTP upstreams), for `context.tool_call.destination`. */ url?: string }
  /** A command run under bubblewrap (docs/sandbox.md). */
  | SandboxConnectorSpec;

/** One egress allowlist entry (docs/egress.md). */
export interface EgressRuleConfig {
  /** Stable id recorded with every decision it makes (default `egress.allow[<index>]`). */
  id?: string;
  /** `api.example.com`, `*.example.com` (subdomains only), an IP address, or a CIDR block. */
  host: string;
  /** Ports admitted (default: the scheme's default port only). */
  ports?: number[];
  /** Schemes admitted (default: https and http). */
  schemes?: Array<'http' | 'https'>;
  /** Special-range addresses (CIDRs) a name rule may resolve to (e.g. an internal service). */
  addresses?: string[];
}

/** `connector: { type: sandbox }`: a command or code tool run in a bubblewrap sandbox. */
export interface SandboxConnectorSpec {
  type: 'sandbox';
  /** argv[0] (absolute path inside the sandbox) and its arguments; `{name}` in an argument is replaced by the argument `name`. */
  command: string[];
  /** How the call's arguments reach the command: as JSON on stdin (default) or not at all. */
  stdin: 'json' | 'none';
  /** How stdout becomes the result: parsed as JSON (default) or returned as `{ stdout }` text. */
  output: 'json' | 'text';
  /** Network inside the sandbox: none (default: no interfaces but loopback, inet sockets refused). */
  network: boolean;
  /** Extra read-only paths bound into the sandbox (host path = sandbox path), e.g. the tool's code. */
  readOnlyPaths: string[];
  /** Environment of the command (nothing is inherited). */
  env: Record<string, string>;
  limits: SandboxLimits;
}

export interface SandboxLimits {
  /** CPU seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Address space, bytes (RLIMIT_AS). */
  memoryBytes: number;
  /** Processes of the sandbox user (RLIMIT_NPROC). */
  processes: number;
  /** stdout + stderr bytes kept; more ends the run. */
  outputBytes: number;
  /** Largest file the command may write, bytes (RLIMIT_FSIZE); also the size of the work folder. */
  fileBytes: number;
  /** Wall-clock bound, milliseconds (the tool's timeout also applies). */
  wallMs: number;
}

export interface ToolDefinition {
  name: string;
  description: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  sideEffect: SideEffectClass;
  resource?: ResourceSpec;
  /**
   * `principal`: the call acts inside the caller's tenant; a target resource owned by
   * another tenant is refused before policy. `none`: the tool is not tenant-scoped.
   */
  tenantBinding: 'principal' | 'none';
  affectedCount?: AffectedCountSpec;
  idempotent: boolean;
  timeoutMs: number;
  connector: ConnectorSpec;
  /** Trust the gateway gives this tool's output. Default: untrusted. */
  outputTrust?: 'trusted' | 'untrusted';
  /** Extra connector attempts after a timeout or lost connection (idempotent tools only). Default 0. */
  retries?: number;
  /** What one call costs against a session's spend budget (unit of the operator's choosing). Default 0. */
  cost?: number;
  /**
   * In-process handler that says, authoritatively, whether a call with a given idempotency key
   * ran (`{ state: 'executed' | 'not_executed' | 'unknown' }`): resolves unknown outcomes.
   */
  statusCheck?: string;
}

/** A tool definition plus its content hash (the definition version). */
export interface RegisteredTool extends ToolDefinition {
  version: string;
}

/** What the scope phase learned about the target of a call. */
export interface ResourceScope {
  type: string;
  id: string | null;
  /** Owner tenant of the target, or null when unknown / not applicable. */
  tenant: string | null;
  exists: boolean;
  attributes: Record<string, JsonValue>;
}

// ---------------------------------------------------------------------------------------
// Policy decisions
// ---------------------------------------------------------------------------------------

export type Outcome = 'allow' | 'deny' | 'approval_required';

/** Stable reason codes for denies and holds. */
export type ReasonCode =
  | 'identity.mismatch'
  | 'screen.kill_switch'
  | 'killswitch.state_unknown'
  | 'session.unknown'
  | 'resolve.unknown_tool'
  | 'validate.schema'
  | 'validate.normalize'
  | 'scope.tenant_mismatch'
  | 'scope.resource_unknown'
  | 'scope.resolver_failed'
  | 'limit.rate'
  | 'limit.unavailable'
  | 'policy.forbid'
  | 'policy.no_permit'
  | 'policy.eval_error'
  | 'policy.engine_error'
  | 'policy.timeout'
  | 'policy.approval_required'
  | 'policy.permit'
  | 'audit.unavailable'
  | (string & {});

export interface DecisionReason {
  /** Cedar `@id` of the policy, or `builtin.<name>` for gateway-enforced rules. */
  policy_id: string;
  effect: 'permit' | 'forbid';
  reason: string;
  code: ReasonCode;
}

export interface CheckResult {
  /** True when this check passed. */
  passed: boolean;
  /** Policies that determined this check. */
  policy_ids: string[];
}

export interface Obligations {
  /** Role required to approve (from `@approval`). */
  approval?: { role: string; policy_id: string };
  credentialScope?: string;
  credentialTtlSeconds?: number;
}

export interface Decision {
  decision_id: string;
  outcome: Outcome;
  /** Primary reason code: the first deny/hold reason, or `policy.permit`. */
  code: ReasonCode;
  reasons: DecisionReason[];
  checks: { action_class: CheckResult; parameters: CheckResult };
  obligations: Obligations;
  /** Content hash of the policy bundle that decided, or `none` when no bundle was consulted. */
  policy_version: string;
  /** Evaluation errors reported by the engine (any one of them denies). */
  errors: string[];
  /** Time spent deciding, microseconds. */
  latency_us: number;
  /** Pipeline phase that settled the outcome (`authorize` when policy did). */
  decided_by: string;
  approval_id?: string;
  /** Canonical hash of the exact action, when the call got far enough to have one (approvals and overrides bind to it). */
  action_hash?: string;
  /** Break-glass override that let a denied or held call through. */
  override_id?: string;
  /** Runtime kill switch that refused the call. */
  kill_switch_id?: string;
  /**
   * Arguments whose values came from untrusted content only, and the content / source ids
   * they came from (present whenever provenance was traced: empty when nothing was tainted).
   */
  taint?: ArgumentTaint[];
  /** Hash of the session's latest context manifest, when context was assembled for it. */
  context_manifest_hash?: string;
  /**
   * The session's declared target scope, when it declared one and policy was asked: how many
   * targets of which kinds, and the argument paths holding a value outside them (an array
   * element reports its array). Paths only, never values.
   */
  target_scope?: TargetScopeSummary;
}

/** What a decision says of the session's declared target scope: its size, its kinds, the arguments outside it. */
export interface TargetScopeSummary {
  /** Number of targets the session declared. */
  declared: number;
  /** The kinds among them (`email`, `domain`, `iban`, `url`, `path`, `value`), sorted, each once. */
  kinds: string[];
  /** Dotted argument paths holding a value outside the declared targets, sorted. */
  outside: string[];
}

/**
 * How strongly a tainted value points at an attacker, worst first:
 * - `injected`: it sits in untrusted text that addresses the model (an injection signal
 *   opens the instructions it is part of);
 * - `instructed`: it sits only in untrusted text that asks for an action (a sentence asking
 *   for one, or a passage that carries an injection signal) inside content the user's
 *   request never pointed to: a third party's instruction the user never asked to follow;
 * - `directive`: it sits in such text inside content the user pointed to;
 * - `unnamed`: it came from untrusted content the user's request never pointed to;
 * - `pointed`: it came from content the user's (or other trusted) content pointed to: the
 *   result of a call whose arguments the trusted content named ("pay the bill in
 *   bill-2024.txt", "her address is on www.dora.example").
 */
export const TAINT_EVIDENCE = ['injected', 'instructed', 'directive', 'unnamed', 'pointed'] as const;
export type TaintEvidence = (typeof TAINT_EVIDENCE)[number];

/** One tainted argument: its dotted path, where its value came from, and the evidence against it. */
export interface ArgumentTaint {
  argument: string;
  sources: string[];
  /** The worst evidence over the argument's values (absent in records made before evidence was graded: read it as `unnamed`). */
  evidence?: TaintEvidence;
}

/** Everything the policy engine needs to decide one call. */
export interface AuthorizationRequest {
  principal: Principal;
  tool: RegisteredTool;
  /** Normalized, validated arguments. */
  arguments: Record<string, JsonValue>;
  resource: ResourceScope;
  affectedCount: number;
  intent?: string;
  session: SessionSnapshot;
  environment: { now: number };
  /**
   * Argument provenance (`context.taint`): tainted argument paths (with their ancestors) and
   * their sources. Absent: nothing tainted.
   */
  taint?: {
    arguments: string[];
    sources: string[];
    /** Paths (with ancestors) holding a value graded `injected`. */
    injected?: string[];
    /** Paths (with ancestors) holding a value graded `instructed` or worse. */
    instructed?: string[];
    /** Paths (with ancestors) holding a value graded `directive` or worse. */
    directive?: string[];
    /** Paths (with ancestors) holding a value the user's request did not point to (any grade but `pointed`). */
    unnamed?: string[];
  };
  /**
   * The session's declared target scope (`context.scope`). Absent: the session declared none
   * (`targets_declared` false, nothing outside). `outside`: argument paths (with ancestors)
   * holding a value outside the declared targets.
   */
  scope?: { outside: string[] };
}

export interface PolicyEvaluation {
  outcome: Outcome;
  reasons: DecisionReason[];
  checks: { action_class: CheckResult; parameters: CheckResult };
  obligations: Obligations;
  policyVersion: string;
  errors: string[];
}

export interface PolicyEngine {
  /** Version (content hash) of the active bundle. */
  readonly version: string;
  /** Decide. Must never throw for a policy outcome; throws only on engine faults. */
  authorize(request: AuthorizationRequest): Promise<PolicyEvaluation> | PolicyEvaluation;
  /**
   * Optional: throws ERR_POLICY_UNREPRESENTABLE when the engine cannot take an argument value
   * exactly; the validate phase calls it so such a call is refused as malformed (400), not as
   * an engine fault.
   */
  checkArguments?(tool: RegisteredTool, args: Record<string, JsonValue>): void;
  /**
   * Discovery (optional): false only when no call of the tool by the principal could be
   * allowed or held. Engines without it show every tool (calls are still decided in full).
   */
  mayAllow?(principal: Principal, toolName: string): boolean;
}

// ---------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------

export interface SessionOwner {
  user: string;
  tenant: string;
  issuer: string;
  agent: string | null;
}


/** What policy sees of a session at decision time. */
export interface SessionSnapshot {
  id: string | null;
  attributes: Record<string, JsonValue>;
  /** Calls decided in this session so far (all tools). */
  callCount: number;
  /** Calls of this tool in this session so far. */
  toolCallCount: number;
  /** Records read (affected count of read-class calls executed) in the last 10 minutes. */
  recordsReadLast10m: number;
  /**
   * What the session has seen (`context.session.untrusted_seen`, `lowest_trust`,
   * `max_classification`, `manifest_hash`). Absent: nothing registered (false, the most
   * trusted tier `system`, the least sensitive classification `public`).
   */
  labels?: SessionLabels;
}

export interface SessionLabels {
  untrustedSeen: boolean;
  lowestTrust: string;
  maxClassification: string;
  /** Hash of the latest context manifest assembled for the session. */
  manifestHash?: string;
}


// ---------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------

export type AuditEventType =
  | 'request.denied'
  | 'identity.mismatch'
  | 'session.created'
  | 'decision'
  | 'approval.requested'
  | 'intent'
  | 'result'
  | 'policy.loaded'
  | 'policy.rejected'
  | (string & {});

/** What a caller hands the audit store. The store adds seq, hashes and the timestamp. */
export interface AuditEventInput {
  type: AuditEventType;
  request_id: string;
  trace_id: string;
  session_id: string | null;
  action_id: string | null;
  parent_action_id: string | null;
  actor: {
    user: string | null;
    tenant: string | null;
    roles: string[];
    agent: string | null;
  };
  model_id?: string | null;
  runtime_config_id?: string | null;
  context_manifest_hash?: string | null;
  tool?: string | null;
  tool_version?: string | null;
  /** Canonical hash of the normalized arguments. */
  args_hash?: string | null;
  /** Safe summary of the arguments: shape and non-sensitive scalars, never secrets. */
  args_summary?: JsonValue;
  decision?: JsonValue;
  result_code?: string | null;
  result_hash?: string | null;
  /** Phase name -> microseconds since request start. */
  phase_timings?: Record<string, number>;
  /** Free-form, non-secret detail. */
  data?: JsonValue;
  /**
   * Paths (`$.tool`, `$.decision.reasons[0].reason`, `$.x{key}` for a key) of strings that were
   * not well-formed Unicode and are stored JSON-escaped: `JSON.parse('"' + text + '"')` is the original.
   */
  escaped_strings?: string[];
  /**
   * Other ids this event records besides its request/action/session/trace ids — decision id,
   * approval, override, credential jti, memory entry, context manifest hash, MCP pin change —
   * so a lookup by any of them finds the event. Non-empty, distinct, at most 32.
   */
  refs?: string[];
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  event_id: string;
  /** ISO-8601 time the store accepted the event. */
  ts: string;
  prev_hash: string;
  hash: string;
  /**
   * Set on a pruned event (a tombstone, audit/retention): its data classes `classes` were removed
   * by the retention prune recorded in the `audit.pruned` event at seq `by`; `hash` is the
   * original event's. Never set by an append.
   */
  pruned?: { by: number; classes: string[] };
}


// ---------------------------------------------------------------------------------------
// Connectors and limits
// ---------------------------------------------------------------------------------------

export interface ConnectorCall {
  tool: RegisteredTool;
  arguments: Record<string, JsonValue>;
  principal: Principal;
  actionId: string;
  idempotencyKey: string;
  signal: AbortSignal;
  /** Just-in-time credential minted for this call (for the connector only; never logged). */
  credential?: string;
  /** W3C trace context for the upstream request (`traceparent`, `tracestate`); empty when untraced. */
  traceHeaders?: { traceparent?: string; tracestate?: string };
  /**
   * Where the connector reports every secret value it puts on the wire for this call
   * (credential headers, resolved secret references), so the pipeline can remove them from
   * whatever comes back (an upstream may echo them).
   */
  secrets?: { add(kind: 'credential' | 'connector_secret' | 'upstream_secret', value: string): void };
  /** Where the connector reports what it did at the boundary (outbound hops, sandbox runs), for the result event. */
  telemetry?: ConnectorTelemetry;
}

/** One outbound HTTP hop of a call (docs/egress.md): destination, the rule that decided it, bytes. */
export interface EgressHop {
  /** `scheme://host:port`: no path, no query. */
  destination: string;
  host: string;
  port: number;
  /** The address connected to (the vetted, pinned one), or the refused one. */
  address?: string;
  allowed: boolean;
  /** Id of the allowlist rule that admitted it, or of the rule that refused it. */
  rule: string;
  /** Reason code of a refusal (`egress.*`). */
  reason?: string;
  bytes_out: number;
  bytes_in: number;
  status?: number;
  /** 0: the request itself; n: the n-th redirect. */
  hop: number;
}

/** How one sandboxed run ended (docs/sandbox.md): its exit, the limits it hit, what it tried. */
export interface SandboxReport {
  exit_code: number | null;
  signal: string | null;
  /** Limits and rules the run broke (`sandbox.memory`, `sandbox.seccomp`, ...): each one stopped or refused something. */
  violations: Array<{ code: string; detail: string }>;
  stdout_bytes: number;
  stderr_bytes: number;
  duration_ms: number;
  network: boolean;
}

export interface ConnectorTelemetry {
  egress(hop: EgressHop): void;
  sandbox(report: SandboxReport): void;
}

export interface Connector {
  execute(call: ConnectorCall): Promise<JsonValue>;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Which limit refused, e.g. `user`, `tool`. */
  limit?: string;
  retryAfterMs?: number;
}

export interface RateLimiter {
  /**
   * Counts one call for each key; refuses when any key is over its limit (then no key is
   * charged). Rejects with ERR_LIMITS_UNAVAILABLE when the limiter's store does not answer
   * within its bound: the caller refuses the call (fail closed).
   */
  take(keys: { user: string; tenant: string; tool: string; session: string | null }): Promise<RateLimitVerdict>;
}
