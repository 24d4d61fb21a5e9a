/**
 * createGateway: the one place that wires the domain modules into a pipeline from a
 * config. Every door (library, HTTP server, MCP proxy, CLI) talks to the Gateway it
 * returns and to nothing below it.
 */
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { isWellFormedId, newId } from '../core/ids.ts';
import { canonicalHash } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { AuditEvent, AuditEventInput, Connector, Decision, PolicyEngine, Principal, RegisteredTool } from '../core/types.ts';
import type { ApprovalRequest } from '../approvals/index.ts';
import type { AuditStore } from '../audit/index.ts';
import type { AirlockConfig } from '../config/types.ts';
import { resolveSecretRef } from '../config/secrets.ts';
import { isRequester } from '../approvals/index.ts';
import type { RevocationTarget } from '../credentials/index.ts';
import { createApprovalNotifier, createApprovalWorkflow } from './approvals.ts';
import { approvalView } from './approval-view.ts';
import { createOverrideService, overrideGate } from './overrides.ts';
import { createKillSwitches } from './kill-switches.ts';
import type { EngageKillSwitchInput, KillSwitch } from '../killswitch/index.ts';
import type { CreateOverrideInput, Override, OverrideRegister } from '../overrides/index.ts';
import { connectorSecretResolver, createCredentialBroker, credentialHeader } from './credentials.ts';
import type { AuditSearchPage, AuditSearchQuery, DrillReport, LineageNode, VerifyReport } from '../audit/index.ts';
import { buildLineage, drill, findLineageEvents, readAll, renderDrill, renderLineage, searchScoped, verifyChain } from '../audit/index.ts';
import { TokenVerifier, findIdentityMismatches } from '../identity/index.ts';
import { CedarPolicyEngine, loadBundleFromDir } from '../policy/index.ts';
import { DurableProvenance, TrustScale } from '../provenance/index.ts';
import { contextConfig, memoryConfig } from '../config/index.ts';
import { containsSecret } from '../context/index.ts';
import type { MemoryRecord, MemoryWriteInput, MemoryWriteResult } from '../memory/index.ts';
import { MemoryService } from '../memory/index.ts';
import { isSessionOwner, sessionOwnerOf, validateTargets } from '../sessions/index.ts';
import type { CountResolver, ResourceResolver, ToolHandler } from '../tools/index.ts';
import { ToolRegistry, createConnector } from '../tools/index.ts';
import type { SimulationResult, ToolCallRequest, ToolCallResult } from './call.ts';
import type { PipelineEnv } from './env.ts';
import { SessionContent, contentEvent } from './content.ts';
import type { ContentInput } from './content.ts';
import { SessionContextGateway } from './context.ts';
import type { AssembleContextInput, AssembleContextResponse } from './context.ts';
import { toolCatalog } from './catalog.ts';
import { decideCall, executeCall, simulateCall } from './run.ts';
import { validateSessionAttributes } from './session-attributes.ts';
import { visibleTools } from './discovery.ts';
import type { ToolSource } from './tool-source.ts';
import { GATEWAY_ACTOR, actorOf, refsOf, standaloneEvent } from './events.ts';
import { openGatewayStores, type GatewayStores } from '../stores/index.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createCallTracer } from './tracing.ts';
import { createAuditShipper } from './audit-shipping.ts';
import { startPruneSchedule } from './audit-retention.ts';
import { auditLookupId, type SpanDropReason } from '../tracing/index.ts';
import type { PinState } from '../mcp/index.ts';
import type { PinView } from './mcp/admin.ts';
import type { DefinitionDecisionInput, DefinitionDecisionOutcome } from './mcp/review.ts';
import { createDefinitionReview } from './mcp/review.ts';
import type { Trends } from './trends.ts';
import { TRENDS_DEFAULT_WEEKS, tenantTrends } from './trends.ts';
import { GatewayMetrics, checkMetricsAccess, metricsError } from '../metrics/index.ts';
import { IdempotencyOperators, idempotencyError as idempotencyFault, recordView } from '../idempotency/index.ts';
import type { IdempotencyRecordView } from '../idempotency/index.ts';
import { resolvedEvent, statusChecker } from './idempotency.ts';
import { budgetBreach, budgetsEnabled } from '../budgets/index.ts';
import type { BudgetBreach } from '../budgets/index.ts';
import { suspensionEvent } from './budgets.ts';
import { OutputGovernance, classifyModelOutput, outputSuspensionEvent, tokenHash } from './outputs.ts';
import type { ClassifyOutputInput, ClassifyOutputResponse } from './outputs.ts';
import { budgetsConfig, idempotencyConfig, outputsConfig } from '../config/index.ts';
import { gatewayKey } from './keys.ts';
import { timedAudit, type GatewayAlert } from './alerts.ts';

export interface GatewayOptions {
  /** In-process tool implementations named by `connector.handler` in the config. */
  handlers?: Record<string, ToolHandler>;
  /** Resource owner and affected-count resolvers named in the config. */
  resolvers?: { resources?: Record<string, ResourceResolver>; counts?: Record<string, CountResolver> };
  clock?: Clock;
  /** Told about every denied or held call whose decision event could not be written (it is still refused). */
  onUnrecordedStop?: (info: { request_id: string; code: string; error: unknown }) => void;
  /**
   * Told about background work that failed (e.g. the revocation purge); the gateway keeps serving.
   * Also told, once, when the audit database's files were deleted or replaced under it: from then
   * on every call is refused (audit.unavailable) and /readyz fails.
   */
  onBackgroundFault?: (what: string, error: unknown) => void;
  /** Spans go to this OpenTelemetry exporter (the host's) instead of config `tracing.endpoint`; tracing is on. */
  spanExporter?: SpanExporter;
  /** Told about every alert the gateway raises itself (a session suspended for a budget breach or a runaway loop); also in the audit log. */
  onAlert?: (alert: GatewayAlert) => void;
  /** Told about every approval notification the webhook finally failed to deliver (the hold itself stands). */
  onNotifyFailure?: (error: AirlockError) => void;
  /**
   * Where the SQLite audit log commits: `auto` (default) on the calling thread while one call
   * is in flight (no hand-off to pay) and on a writer thread under concurrency — another call in
   * the pipeline or another request a door is still reading (the event loop keeps running while
   * it commits); `thread` always on the writer thread; `inline` always on
   * the calling thread (one caller at a time, e.g. the stdio MCP door: no thread started).
   */
  auditWriter?: 'thread' | 'inline' | 'auto';
  /** Tools from outside the config (the MCP hub's upstream tools): definitions, connectors, admission. */
  toolSource?: ToolSource;
  /** Stores opened by the caller (shared with the MCP hub); the caller closes them. Default: opened from config, closed with the gateway. */
  stores?: GatewayStores;
  /** Replace parts (tests, embedding): a policy engine, an audit store, a connector factory. */
  overrides?: {
    policy?: PolicyEngine;
    audit?: AuditStore;
    connector?: (tool: RegisteredTool, fallback: Connector) => Connector;
  };
}

export interface DecideResponse {
  decision_id: string;
  request_id: string;
  action_id: string;
  outcome: Decision['outcome'];
  reasons: Decision['reasons'];
  checks: Decision['checks'];
  policy_version: string;
  approval_id?: string;
  decision: Decision;
  /**
   * Decision-point mode only: the just-in-time credential for an allowed call whose policy
   * names a scope, for the calling runtime (never the model) to present to the tool. This is
   * the weaker mode — the gateway no longer holds the credential; prefer gateway mode.
   */
  credential?: { token: string; jti: string; scope: string; audience: string; expires_at: number };
}

/** What registering content returns (never the text). */
export interface ContentResponse {
  content_id: string;
  /** `sha256:<hex>` of the text. */
  hash: string;
  trust: 'trusted' | 'untrusted';
  trust_tier: string;
  kind: ContentInput['kind'];
}

export interface LineageResponse {
  id: string;
  events: AuditEvent[];
  tree: LineageNode;
  text: string;
}

export interface DrillResponse extends DrillReport {
  text: string;
}

export interface Gateway {
  readonly config: AirlockConfig;
  authenticate(token: string): Promise<Principal>;
  /** The principal of a token verified recently and still valid, at once; null when it must be verified (authenticate). */
  recentlyAuthenticated(token: string): Principal | null;
  /**
   * A door has begun receiving a request (its body may still be in the parser); call the
   * returned function once, when the request is answered (a second call does nothing). With the
   * `auto` audit writer nothing commits on the event loop while another request is in flight,
   * whether it is a call in the pipeline or a request still being read.
   */
  requestStarted(): () => void;
  /**
   * Opens a session for the token's principal with the declared `attributes` and, when
   * `options.targets` is given, the task's target scope (docs/injection.md "Target scope":
   * `[{kind, value}]`, checked and normalized; ERR_SESSION_TARGETS when malformed, and then
   * nothing is created).
   */
  createSession(token: string, attributes?: unknown, options?: { targets?: unknown }): Promise<{ session_id: string }>;
  decide(request: ToolCallRequest): Promise<DecideResponse>;
  execute(request: ToolCallRequest): Promise<ToolCallResult>;
  simulate(request: ToolCallRequest): Promise<SimulationResult>;
  /**
   * Registers content a session has seen (the user's prompt, a tool result the runtime
   * executed itself, a document, ...) at the trust its kind gives it, for argument
   * provenance. The session must be the caller's. Recorded in the audit log (hash, never text).
   */
  registerContent(token: string, sessionId: string, content: ContentInput): Promise<ContentResponse>;
  /**
   * Context gateway: admits or rejects each chunk (metadata, source registry, use case, age,
   * precedence, budget), redacts, flags suspected injections, spotlights untrusted text, and
   * returns the assembled context with its manifest. The manifest is recorded in the audit log
   * and its hash is attached to every later decision of the session; admitted chunks become
   * session content at their source's tier. The session must be the caller's.
   */
  assembleContext(token: string, input: AssembleContextInput): Promise<AssembleContextResponse>;
  /**
   * Governed memory (docs/memory.md): a write needs a declared kind, an owner, provenance,
   * confidence and expiry; the tenant is the token's. Secrets are refused; writes derived from
   * tool output or untrusted content wait in the review queue.
   */
  writeMemory(token: string, input: MemoryWriteInput): Promise<MemoryWriteResult>;
  /** Active, unexpired memories of the caller's tenant that the caller may see. */
  searchMemory(token: string, query?: { kind?: string; q?: string; limit?: number }): Promise<MemoryRecord[]>;
  getMemory(token: string, id: string): Promise<MemoryRecord>;
  /** Deletes a memory and every index entry derived from it (owner or reviewer). */
  deleteMemory(token: string, id: string): Promise<void>;
  /** The review queue of the reviewer's tenant. */
  pendingMemory(token: string): Promise<MemoryRecord[]>;
  /** Promote a queued write into memory, or reject it (reviewer role, not the writer, never an agent). */
  reviewMemory(token: string, id: string, verdict: 'promote' | 'reject', justification: string): Promise<MemoryRecord>;
  /**
   * Lineage of any id an answer handed out (request, action, decision, approval, override,
   * credential jti, session, memory entry, content, context manifest, MCP definition hash,
   * trace, event). Tenant-scoped: another tenant's id fails exactly like an unknown one.
   */
  lineage(id: string, token: string): Promise<LineageResponse>;
  /** The lineage drill of an id (see audit/drill.ts), scoped like lineage; 404 like lineage when nothing is visible. */
  drill(id: string, token: string): Promise<DrillResponse>;
  verifyAudit(token?: string): Promise<VerifyReport>;
  /** One page of audit events of the caller's tenant (auditor roles: all of it; others: their own calls). See audit/search.ts. */
  searchAudit(token: string, query: AuditSearchQuery): Promise<AuditSearchPage>;
  /** Approval requests of the reviewer's tenant (optionally in one state). */
  listApprovals(token: string, state?: ApprovalRequest['state']): Promise<ApprovalRequest[]>;
  /** One request; the requester also gets the one-time approval token once it is approved. */
  getApproval(token: string, id: string): Promise<{ approval: ApprovalRequest; approval_token?: string }>;
  decideApproval(token: string, id: string, verdict: 'approve' | 'deny', justification: string): Promise<ApprovalRequest>;
  /**
   * Revokes just-in-time credentials (security-admin role): one `jti`, a user of the caller's
   * tenant, the caller's whole tenant, or a connector. Recorded in the audit log.
   */
  revokeCredentials(token: string, target: CredentialRevocation): Promise<{ revoked: CredentialRevocation }>;
  /** Breaks the glass (override role, humans only, mandatory justification, bounded lifetime). */
  createOverride(token: string, input: CreateOverrideInput): Promise<Override>;
  /** The override register of the operator's tenant: open count, median age of open overrides, every record. */
  overrideRegister(token: string): Promise<OverrideRegister>;
  revokeOverride(token: string, id: string, justification: string): Promise<Override>;
  /**
   * Engages a runtime kill switch (kill switch role, humans only, mandatory justification):
   * in force on this gateway before it answers, on the others within their refresh; audited;
   * the just-in-time credentials in flight for the scope are revoked (src/pipeline/kill-switches.ts).
   */
  engageKillSwitch(token: string, input: EngageKillSwitchInput): Promise<KillSwitch>;
  /** Idempotency records of the operator's tenant (operator role, humans only); `state=outcome_unknown` includes pending records past their lease. */
  listIdempotencyRecords(token: string, filter?: { state?: string; limit?: number }): Promise<IdempotencyRecordView[]>;
  getIdempotencyRecord(token: string, id: string): Promise<IdempotencyRecordView>;
  /** Settles an unknown outcome (`executed` or `not_executed`, mandatory justification); audited as idempotency.resolved. */
  resolveIdempotencyRecord(token: string, id: string, outcome: unknown, justification: string): Promise<IdempotencyRecordView>;
  /** Asks the tool's authoritative status check about an unknown outcome and records its answer when it has one. */
  checkIdempotencyRecord(token: string, id: string): Promise<{ verdict: 'executed' | 'not_executed' | 'unknown'; record: IdempotencyRecordView | null }>;
  /**
   * Output governance for model output the runtime submits: links that could carry data out
   * neutralised, data classes redacted or tokenized, and the output policies' class with its
   * owner and escalation path; audited as `output.classified` (hashes, never the text). A
   * blocked output's text is withheld (null).
   */
  classifyOutput(token: string, input: ClassifyOutputInput): Promise<ClassifyOutputResponse>;
  /** Opens a reference token for a human with a reference role of the token's tenant; audited (never the value). */
  resolveDataReference(token: string, reference: string): Promise<{ class: string; value: string }>;
  /** Releases an engaged kill switch (exactly once; audited with the justification). */
  releaseKillSwitch(token: string, id: string, justification: string): Promise<KillSwitch>;
  /** The kill switches the operator may see, oldest first (`active`: only engaged ones). */
  listKillSwitches(token: string, filter?: { active?: boolean }): Promise<KillSwitch[]>;
  /** Upstream MCP tool definitions with the one last approved (security-admin, no acting agent); see mcp/review.ts. */
  mcpDefinitions(token: string, filter?: { state?: PinState }): Promise<PinView[]>;
  /** Approves or rejects reviewed definitions, one or many (each its own outcome); audited. */
  decideMcpDefinitions(token: string, input: DefinitionDecisionInput): Promise<DefinitionDecisionOutcome[]>;
  /** Trends of the caller's tenant over the last `weeks` weeks (auditor roles); see trends.ts. */
  trends(token: string, weeks?: number): Promise<Trends>;
  reloadPolicy(): Promise<{ version: string }>;
  policyVersion(): string;
  listTools(): RegisteredTool[];
  /** The tools this caller could be allowed to call (kill switches, tool-source admission, policy; see discovery.ts). */
  visibleTools(token: string): Promise<RegisteredTool[]>;
  ready(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** Counters of the parts that keep them (audit batches, token cache, policy slices). */
  stats(): GatewayStats;
  /**
   * The Prometheus text exposition, for a caller `server.metrics` admits: with a configured
   * bearer token, a caller presenting it; without one, loopback callers only (else
   * ERR_METRICS_UNAUTHORIZED / ERR_METRICS_FORBIDDEN; ERR_METRICS_DISABLED when disabled).
   */
  metrics(request: { authorization: string | undefined; remoteAddress: string | undefined }): Promise<{ contentType: string; body: string }>;
  close(): Promise<void>;
}

/**
 * What an operator revokes: one credential (`jti`), or every credential of the operator's tenant
 * issued up to now — all of it (`tenant`), or those of one user, connector (audience), acting
 * agent, tool or session. All but `jti` are confined to the operator's tenant.
 */
export type CredentialRevocation =
  | { jti: string }
  | { user: string }
  | { tenant: string }
  | { connector: string }
  | { agent: string }
  | { tool: string }
  | { session: string };

/** The keys of CredentialRevocation, for the doors that read one from a body or flags. */
export const CREDENTIAL_REVOCATION_KEYS = ['jti', 'user', 'tenant', 'connector', 'agent', 'tool', 'session'] as const;

/** Roles that may revoke credentials. */
export const CREDENTIAL_ADMIN_ROLES = ['security-admin'];

export interface GatewayStats {
  audit: { batches: number; events: number; appends: number; failedBatches: number } | null;
  tokens: { hits: number; misses: number; size: number };
  policy: Record<string, unknown> | null;
  /** Denied or held calls whose decision event could not be written (they were still refused). */
  unrecorded_stops: number;
  /** Alerts the gateway raised itself (sessions suspended, audit delay). */
  alerts: number;
}

function statsOf(part: unknown): Record<string, unknown> | null {
  const withStats = part as { stats?: () => Record<string, unknown> };
  return typeof withStats.stats === 'function' ? withStats.stats() : null;
}

/** Roles that may read any event of their tenant (others read their own calls only). */
export const AUDIT_READER_ROLES = ['auditor', 'security-admin'];

export async function createGateway(config: AirlockConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const source = options.toolSource;
  let registry = new ToolRegistry([...config.tools, ...(source?.definitions() ?? [])]);
  const resolvers = { resources: options.resolvers?.resources ?? {}, counts: options.resolvers?.counts ?? {} };

  const secret = (ref: string, createIfMissing?: boolean) =>
    resolveSecretRef(ref, config.baseDir, createIfMissing === true ? { createIfMissing: true } : {});
  const verifier = await TokenVerifier.create(config.identity, { baseDir: config.baseDir, clock, resolveSecret: secret });

  // HTTP connector headers written as secret references: resolved once, at start (a missing
  // secret fails here, not at the first call).
  const connectorSecret = await connectorSecretResolver(config.tools, (ref) => secret(ref));
  const buildConnectors = () => {
    const built = new Map<string, Connector>();
    for (const tool of registry.list()) {
      const base =
        tool.connector.type === 'mcp' && source !== undefined
          ? source.connector(tool)
          : createConnector(tool.connector, { handlers: options.handlers ?? {}, credentialHeader, resolveSecret: connectorSecret, ...(config.egress === undefined ? {} : { egress: config.egress }) });
      built.set(tool.name, options.overrides?.connector?.(tool, base) ?? base);
    }
    return built;
  };
  let connectors = buildConnectors();

  let policy: PolicyEngine =
    options.overrides?.policy ??
    CedarPolicyEngine.create({
      tools: registry.list(),
      sessionAttributes: config.sessionAttributes,
      bundle: await loadBundleFromDir(config.policy.bundleDir),
    });

  // Every store of this gateway, from the one factory (opened here unless the caller shares its own).
  const stores: GatewayStores = options.stores ?? (await openGatewayStores(config));
  const ownsStores = options.stores === undefined;
  const { sessions, approvals } = stores;
  // What each session has seen (its provenance log) and its activity counters: durable with the state.
  const provenanceLog = stores.provenance;
  const sessionActivity = stores.activity;

  // Metrics (server.metrics): the backlog gauges read their stores at scrape time.
  const metricsToken = config.server.metrics.enabled && config.server.metrics.token !== null ? await metricsTokenOf(config.server.metrics.token, secret) : null;
  const metrics = config.server.metrics.enabled
    ? new GatewayMetrics({
        sources: {
          now: () => clock.now(),
          pendingApprovals: (now) => approvals.pendingByTenant(now),
          openOverrides: (now) => overrides.openOverrides(now),
          ...(source?.pendingDefinitions === undefined ? {} : { pendingDefinitions: () => (source.pendingDefinitions as () => Promise<number>)() }),
        },
        onCollectError: (what, error) => options.onBackgroundFault?.(`metrics (${what})`, error),
      })
    : null;

  // Traces (config tracing): a span per call and per phase; off, a caller's traceparent passes through.
  const tracer = await createCallTracer({
    config,
    secret,
    ...(options.spanExporter === undefined ? {} : { spanExporter: options.spanExporter }),
    ...(options.onBackgroundFault === undefined ? {} : { onFault: options.onBackgroundFault }),
    ...(metrics === null ? {} : { onSpansDropped: (spans: number, reason: SpanDropReason) => metrics.observeDroppedSpans(spans, reason) }),
  });

  // Calls (execute, decide, simulate) in flight, and requests the doors are receiving or answering
  // (counted from their first byte, so a request still in the parser counts): with the `auto`
  // audit writer a commit runs on the event loop only while neither count says another is in
  // flight. A call that came through a door is in both counts, hence the larger, not the sum.
  let callsInFlight = 0;
  let doorRequests = 0;
  const counted = async <T>(run: () => Promise<T>): Promise<T> => {
    callsInFlight++;
    try {
      return await run();
    } finally {
      callsInFlight--;
    }
  };
  let alertsRaised = 0;
  const raiseAlert = (alert: GatewayAlert): void => {
    alertsRaised++;
    metrics?.observeAlert(alert.type, alert.type === 'session_suspended' ? alert.code : null);
    options.onAlert?.(alert);
  };
  let checkpointFailing = false;
  const rawAudit: AuditStore =
    options.overrides?.audit ??
    (await stores.openAudit({
      clock,
      writer: options.auditWriter ?? 'auto',
      othersInFlight: () => callsInFlight > 1 || doorRequests > 1,
      ...(metrics === null ? {} : { onBatch: (info: { events: number; ok: boolean; commitUs: number }) => metrics.observeAuditBatch(info) }),
      // Its files deleted or replaced: every call is refused from now on; say so loudly.
      onFault: (error) => options.onBackgroundFault?.('audit store (database files deleted or replaced; refusing calls)', error),
      // The signed checkpoint file could not be replaced (disk full, permissions): the events stay
      // committed, but the file an auditor checks the log against lags behind it. Counted every
      // time; told once per outage (it is retried at the next commit, up to ten times a second).
      onCheckpointError: (error) => {
        metrics?.observeCheckpointFailure();
        if (checkpointFailing) return;
        checkpointFailing = true;
        options.onBackgroundFault?.('audit checkpoint write (events stay committed; the signed checkpoint file lags behind the log until a write succeeds)', error);
      },
      onCheckpointRecovered: () => {
        checkpointFailing = false;
      },
      ...(config.audit.type === 'memory' || config.audit.checkpointKey === undefined ? {} : { checkpointKey: await secret(config.audit.checkpointKey, true) }),
    }));
  // Audit commits slower than alerts.audit_commit_ms raise an audit_delay alert.
  const audit = timedAudit(rawAudit, { clock, thresholdMs: config.alerts?.auditCommitMs, cooldownMs: (config.alerts?.cooldownSeconds ?? 60) * 1000, raise: raiseAlert });
  // The audit log shipped to a SIEM (audit.ship), from the cursor in the state store.
  const shipper = createAuditShipper({
    config,
    audit: rawAudit,
    cursors: stores.shipCursors,
    ...(options.onBackgroundFault === undefined ? {} : { onFault: options.onBackgroundFault }),
  });
  shipper?.start();
  // audit.retention.schedule_minutes: the gateway prunes its own log on a timer (off by default).
  const pruneSchedule = startPruneSchedule({
    config,
    audit: rawAudit,
    clock,
    ...(config.audit.type === 'memory' || config.audit.checkpointKey === undefined ? {} : { key: await secret(config.audit.checkpointKey, true) }),
    ...(options.onBackgroundFault === undefined ? {} : { onFault: options.onBackgroundFault }),
  });
  const approvalWorkflow = await createApprovalWorkflow(config, approvals, audit, clock);
  const { broker, revocations } = await createCredentialBroker(config, stores.revocations, clock);
  const overrides = createOverrideService(config, stores.overrides, audit, clock);
  const definitionReview = createDefinitionReview({ config, pins: stores.pins, audit, clock });
  const killSwitches = await createKillSwitches(audit, clock, {
    store: stores.killSwitches,
    ...(stores.killSwitchFeed === null ? {} : { feed: stores.killSwitchFeed }),
    revoke: (target) => broker.revoke(target),
    onFault: (what, error) => options.onBackgroundFault?.(what, error),
  });
  const notifier = await createApprovalNotifier(config, (ref) => secret(ref), options.onNotifyFailure ?? (() => undefined));
  // Expired revocation entries can go: the credentials they covered are dead anyway.
  const purge = setInterval(() => {
    revocations.purge(clock.now()).catch((error: unknown) => options.onBackgroundFault?.('credential revocation purge', error));
  }, config.credentials.purgeIntervalSeconds * 1000);
  purge.unref();

  const limiter = stores.rateLimiter(clock);

  // Session budgets and loop detection: usage in the shared state store; a breach suspends the session.
  const budgetSettings = config.budgets ?? budgetsConfig();
  const suspending = new Set<string>();
  /** Suspends a session once: a session kill switch on the gateway's authority, then the alert event (see budgets.ts). */
  async function suspendSession(tenant: string, sessionId: string, breach: BudgetBreach, event: (killSwitchId: string) => AuditEventInput): Promise<void> {
    if (suspending.has(sessionId)) return;
    suspending.add(sessionId);
    try {
      // Already refused by a switch (suspended before, by this or another replica: the snapshot is
      // re-read first, so a fleet rarely engages two): nothing more to do.
      await killSwitches.gate.refresh();
      const verdict = killSwitches.gate.check({ tenant, agent: null, tool: '', connector: null, session: sessionId });
      if (verdict.refused && verdict.code === 'screen.kill_switch') return;
      const engaged = await killSwitches.service.engageAsGateway({ scope: 'session', target: sessionId, tenant, justification: `${breach.code}: ${breach.reason}` });
      await audit.append([event(engaged.id)]);
      raiseAlert({ type: 'session_suspended', session_id: sessionId, tenant, code: breach.code, kill_switch_id: engaged.id });
    } finally {
      suspending.delete(sessionId);
    }
  }

  // Idempotency keys: records in the shared state store; operators settle unknown outcomes.
  const idempotencySettings = config.idempotency ?? idempotencyConfig();
  for (const tool of registry.list()) {
    if (tool.statusCheck !== undefined && !Object.hasOwn(options.handlers ?? {}, tool.statusCheck)) {
      throw new AirlockError('ERR_TOOLS_HANDLER_UNKNOWN', `no handler named ${tool.statusCheck} for the status check of ${tool.name}`, { status: 500 });
    }
  }
  const checkStatus = statusChecker(options.handlers ?? {}, (error) => options.onBackgroundFault?.('idempotency status check', error));
  const recordResolution = async (record: Parameters<typeof resolvedEvent>[0], operator: Principal | null) => {
    await audit.append([resolvedEvent(record, operator)]);
  };
  const idempotencyOperators = new IdempotencyOperators({ store: stores.idempotency, clock, role: idempotencySettings.operatorRole, onResolved: recordResolution });
  const idempotencyPurge = setInterval(() => {
    stores.idempotency.purge(clock.now() - idempotencySettings.retentionSeconds * 1000).catch((error: unknown) => options.onBackgroundFault?.('idempotency record purge', error));
  }, 600_000);
  idempotencyPurge.unref();

  const contextSettings = config.context ?? contextConfig();
  const scale = new TrustScale({
    tiers: contextSettings.trustTiers,
    classifications: contextSettings.classifications,
    ...(contextSettings.trustedTiers === undefined ? {} : { trustedTiers: contextSettings.trustedTiers }),
  });
  const sessionContent = new SessionContent(new DurableProvenance(provenanceLog, { scale }), (name) => registry.get(name));
  const outputSettings = config.outputs ?? outputsConfig();
  const outputs = await OutputGovernance.create(outputSettings, await gatewayKey(config, outputSettings.referenceKey, 'data-reference.key'));
  const contextGateway = new SessionContextGateway(contextSettings, { clock, audit, content: sessionContent, runtime: config.runtime });

  /** The caller's own session; another principal's is indistinguishable from a missing one. */
  async function ownedSession(principal: Principal, sessionId: string) {
    const session = isWellFormedId(sessionId, 'ses') ? await sessions.get(sessionId) : null;
    if (session === null || !isSessionOwner(session, principal)) {
      throw new AirlockError('ERR_SESSION_UNKNOWN', 'the session is unknown to this principal', { status: 404 });
    }
    return session;
  }

  const memory = new MemoryService({
    store: stores.memory,
    config: config.memory ?? memoryConfig(),
    clock,
    audit: (events) => audit.append(events),
    containsSecret,
    runtime: config.runtime,
    // The write's session must be the caller's; which of the content's values came only from untrusted content there.
    async taintOf(principal, sessionId, content) {
      const session = await ownedSession(principal, sessionId);
      const args = content !== null && typeof content === 'object' && !Array.isArray(content) ? content : { value: content };
      // A provenance log that cannot be read rejects the write (never clean).
      return (await sessionContent.trace(session, args)).taint.map((t) => t.argument);
    },
  });

  const env: PipelineEnv = {
    clock,
    verifyToken: (token) => verifier.verify(token),
    findIdentityMismatches,
    tools: toolCatalog(registry, resolvers),
    policy: () => policy,
    policyTimeoutMs: config.policy.timeoutMs,
    limiter,
    audit,
    sessions,
    sessionsRequired: config.sessions.required,
    sessionActivity,
    provenance: sessionContent,
    contextManifests: contextGateway,
    approvals,
    approvalTokens: approvalWorkflow,
    approvalTtlMs: config.approvals.ttlSeconds * 1000,
    credentials: broker,
    connector: (tool) => {
      const connector = connectors.get(tool.name);
      if (connector === undefined) throw new AirlockError('ERR_TOOLS_CONNECTOR_MISSING', `no connector for ${tool.name}`);
      return connector;
    },
    killSwitch: config.killSwitch,
    killSwitches: killSwitches.gate,
    overrides: overrideGate(overrides),
    ...(notifier === null ? {} : { notifyApproval: (request: ApprovalRequest) => void notifier.notify(request) }),
    ...(source === undefined ? {} : { admitTool: (tool: RegisteredTool) => source.admit(tool) }),
    faults: { unrecordedStops: 0, ...(options.onUnrecordedStop === undefined ? {} : { onUnrecorded: options.onUnrecordedStop }) },
    runtime: config.runtime,
    metrics,
    tracer,
    outputs,
    budgets: budgetsEnabled(budgetSettings)
      ? {
          store: stores.budgets,
          config: budgetSettings,
          suspend: (call, breach, totals) =>
            call.session === undefined || call.principal === undefined
              ? Promise.resolve()
              : suspendSession(call.principal.tenant, call.session.id, breach, (ksId) => suspensionEvent(call, env, breach, totals, ksId)),
        }
      : null,
    idempotency: {
      store: stores.idempotency,
      leaseGraceMs: idempotencySettings.leaseGraceSeconds * 1000,
      maxResultBytes: idempotencySettings.maxResultBytes,
      checkStatus,
      onResolved: recordResolution,
    },
  };

  async function readerScope(token: string): Promise<(event: AuditEvent) => boolean> {
    const principal = await verifier.verify(token);
    const auditor = principal.roles.some((r) => AUDIT_READER_ROLES.includes(r));
    return (event) =>
      event.actor.tenant === principal.tenant && (auditor || event.actor.user === principal.user);
  }

  /** Re-registers the tool source's definitions: registry, connectors and Cedar engine swapped together. */
  async function refreshTools(): Promise<{ version: string }> {
    const next = new ToolRegistry([...config.tools, ...(source?.definitions() ?? [])]);
    const engine =
      policy instanceof CedarPolicyEngine
        ? CedarPolicyEngine.create({
            tools: next.list(),
            sessionAttributes: config.sessionAttributes,
            bundle: await loadBundleFromDir(config.policy.bundleDir),
          })
        : policy;
    registry = next;
    connectors = buildConnectors();
    env.tools = toolCatalog(next, resolvers);
    policy = engine;
    return { version: policy.version };
  }
  source?.attach?.({ audit, refresh: refreshTools, configTools: new Set(config.tools.map((t) => t.name)) });

  /** Reloads this replica's policy bundle; recorded as policy.loaded, or policy.rejected (the previous bundle stays). */
  async function reloadBundle(): Promise<{ version: string }> {
    if (!(policy instanceof CedarPolicyEngine)) {
      throw new AirlockError('ERR_POLICY_RELOAD', 'the active policy engine does not reload from a bundle', { status: 409 });
    }
    const previous = policy.version;
    const event = (type: string, data: Record<string, JsonValue>): AuditEventInput => standaloneEvent(type, GATEWAY_ACTOR, data);
    try {
      const result = policy.reload(await loadBundleFromDir(config.policy.bundleDir));
      await audit.append([event('policy.loaded', { version: result.version, previous })]);
      return { version: result.version };
    } catch (error) {
      // The previous bundle stays active; the refusal is on the record.
      const code = error instanceof AirlockError ? error.code : 'ERR_POLICY_RELOAD';
      await audit.append([event('policy.rejected', { active_version: previous, code })]).catch(() => undefined);
      throw error;
    }
  }

  // A fleet replica reloads its bundle when another one announces a reload, and says so
  // when its bundle does not give the announced version (the replicas' bundles differ).
  const replicaId = newId('rpl');
  const fleetSubscription =
    stores.fleet === null
      ? null
      : await stores.fleet.subscribe(
          (message) => {
            if (message.from === replicaId || message.version === policy.version) return;
            reloadBundle().then(
              (result) => {
                if (result.version !== message.version) {
                  options.onBackgroundFault?.(
                    'policy reload announced by another replica',
                    new AirlockError('ERR_POLICY_FLEET_MISMATCH', `this replica's bundle gives policy ${result.version}, another replica runs ${message.version}`),
                  );
                }
              },
              (error: unknown) => options.onBackgroundFault?.('policy reload announced by another replica', error),
            );
          },
          (error) => options.onBackgroundFault?.('fleet channel', error),
        );

  return {
    config,
    authenticate: (token) => verifier.verify(token),
    recentlyAuthenticated: (token) => verifier.recentlyVerified(token),
    requestStarted() {
      doorRequests++;
      let open = true;
      return () => {
        if (open) {
          open = false;
          doorRequests--;
        }
      };
    },

    async createSession(token, attributes, options) {
      const principal = await verifier.verify(token);
      const checked = validateSessionAttributes(attributes ?? {}, config.sessionAttributes);
      const targets = options?.targets === undefined || options.targets === null ? undefined : validateTargets(options.targets);
      const id = newId('ses');
      await sessions.create({
        id,
        owner: sessionOwnerOf(principal),
        attributes: checked,
        ...(targets === undefined ? {} : { targets }),
        createdAt: clock.now(),
      });
      const data: { [key: string]: JsonValue } = { attribute_names: Object.keys(checked) };
      // The declared scope decides calls: its hash (never the addresses themselves) is on the record.
      if (targets !== undefined) {
        data.target_count = targets.length;
        data.targets_hash = canonicalHash(targets);
      }
      await audit.append([
        standaloneEvent('session.created', actorOf(principal), data, {
          session_id: id,
          model_id: config.runtime.modelId,
          runtime_config_id: config.runtime.configId,
        }),
      ]);
      return { session_id: id };
    },

    async decide(request) {
      const call = await counted(() => decideCall(request, env));
      const decision = call.decision as Decision;
      return {
        decision_id: decision.decision_id,
        request_id: call.request_id,
        action_id: call.action_id,
        outcome: decision.outcome,
        reasons: decision.reasons,
        checks: decision.checks,
        policy_version: decision.policy_version,
        ...(decision.approval_id === undefined ? {} : { approval_id: decision.approval_id }),
        decision,
        ...(call.credential === undefined || decision.outcome !== 'allow'
          ? {}
          : {
              credential: {
                token: call.credential.token,
                jti: call.credential.jti,
                scope: call.credential.scope,
                audience: call.credential.audience,
                expires_at: call.credential.expiresAt,
              },
            }),
      };
    },

    execute: (request) => counted(() => executeCall(request, env)),
    simulate: (request) => counted(() => simulateCall(request, env)),

    async registerContent(token, sessionId, input) {
      const principal = await verifier.verify(token);
      const session = await ownedSession(principal, sessionId);
      const prepared = sessionContent.prepare(input);
      // Recorded before it can change any decision.
      await audit.append([contentEvent(principal, session.id, prepared, config.runtime)]);
      await sessionContent.index(session, prepared, input.text);
      await sessionContent.durable();
      return { content_id: prepared.content_id, hash: prepared.hash, trust: prepared.trust, trust_tier: prepared.trust_tier, kind: prepared.kind };
    },

    writeMemory: async (token, input) => memory.write(await verifier.verify(token), input),
    searchMemory: async (token, query) => memory.search(await verifier.verify(token), query),
    getMemory: async (token, id) => memory.get(await verifier.verify(token), id),
    deleteMemory: async (token, id) => memory.delete(await verifier.verify(token), id),
    pendingMemory: async (token) => memory.pending(await verifier.verify(token)),
    reviewMemory: async (token, id, verdict, justification) => memory.review(await verifier.verify(token), id, verdict, justification),

    async assembleContext(token, input) {
      const principal = await verifier.verify(token);
      const session = await ownedSession(principal, typeof input.session_id === 'string' ? input.session_id : '');
      try {
        return await contextGateway.assemble(principal, session, input);
      } catch (error) {
        // Bad input stays a 4xx; a failure of the context gateway itself answers with a user-safe fallback.
        if (error instanceof AirlockError && error.status < 500) throw error;
        throw contextUnavailable(error);
      }
    },

    async lineage(requested, token) {
      const id = auditLookupId(requested);
      const visible = await readerScope(token);
      const events = await findLineageEvents(async (ref) => (await audit.findRelated(ref)).filter(visible), id);
      if (events.length === 0) {
        throw new AirlockError('ERR_AUDIT_NOT_FOUND', 'no audit events for that id', { status: 404 });
      }
      const tree = buildLineage(events, id);
      return { id, events, tree, text: renderLineage(tree) };
    },

    async drill(requested, token) {
      const id = auditLookupId(requested);
      const visible = await readerScope(token);
      const report = await drill(id, async (ref) => (await audit.findRelated(ref)).filter(visible));
      if (!report.found) throw new AirlockError('ERR_AUDIT_NOT_FOUND', 'no audit events for that id', { status: 404 });
      return { ...report, text: renderDrill(report) };
    },

    async verifyAudit(token) {
      if (token !== undefined) {
        const principal = await verifier.verify(token);
        if (!principal.roles.some((r) => AUDIT_READER_ROLES.includes(r))) {
          throw new AirlockError('ERR_AUDIT_FORBIDDEN', 'verifying the audit chain needs an auditor role', { status: 403 });
        }
      }
      return verifyChain(readAll(audit), await checkpointFor(audit));
    },

    async searchAudit(token, query) {
      const principal = await verifier.verify(token);
      const auditor = principal.roles.some((r) => AUDIT_READER_ROLES.includes(r));
      return searchScoped(audit, query, { tenant: principal.tenant, ...(auditor ? {} : { user: principal.user }) });
    },

    async listApprovals(token, state) {
      const principal = await verifier.verify(token);
      return (await approvalWorkflow.list(principal, state)).map((request) => approvalView(principal, request));
    },

    async getApproval(token, id) {
      const principal = await verifier.verify(token);
      const approval = approvalView(principal, await approvalWorkflow.get(principal, id));
      const mine = isRequester(principal, approval);
      if (approval.state !== 'approved' || !mine) return { approval };
      return { approval, approval_token: await approvalWorkflow.fetchToken(principal, id) };
    },

    async decideApproval(token, id, verdict, justification) {
      const reviewer = await verifier.verify(token);
      return verdict === 'approve' ? approvalWorkflow.approve(reviewer, id, justification) : approvalWorkflow.deny(reviewer, id, justification);
    },

    async revokeCredentials(token, target) {
      const operator = await verifier.verify(token);
      if (!operator.roles.some((r) => CREDENTIAL_ADMIN_ROLES.includes(r)) || operator.agent !== undefined) {
        throw new AirlockError('ERR_CREDENTIAL_FORBIDDEN', 'revoking credentials needs the security-admin role (and no acting agent)', { status: 403 });
      }
      if ('tenant' in target && target.tenant !== operator.tenant) {
        throw new AirlockError('ERR_CREDENTIAL_FORBIDDEN', "only the operator's own tenant can be revoked", { status: 403 });
      }
      // Everything but one jti is confined to the operator's tenant: an operator never revokes
      // another tenant's credentials (a connector several tenants share included).
      const tenant = operator.tenant;
      const revocation: RevocationTarget =
        'jti' in target
          ? { kind: 'jti', jti: target.jti }
          : 'user' in target
            ? { kind: 'user', tenant, user: target.user }
            : 'tenant' in target
              ? { kind: 'tenant', tenant }
              : 'connector' in target
                ? { kind: 'connector', audience: target.connector, tenant }
                : 'agent' in target
                  ? { kind: 'agent', tenant, agent: target.agent }
                  : 'tool' in target
                    ? { kind: 'tool', tenant, tool: target.tool }
                    : { kind: 'session', tenant, session: target.session };
      await broker.revoke(revocation);
      await audit.append([standaloneEvent('credential.revoked', { ...actorOf(operator), agent: null }, JSON.parse(JSON.stringify(revocation)) as JsonValue, refsOf(revocation.kind === 'jti' ? revocation.jti : undefined))]);
      return { revoked: target };
    },

    async createOverride(token, input) {
      return overrides.create(await verifier.verify(token), input);
    },

    async overrideRegister(token) {
      return overrides.register(await verifier.verify(token));
    },

    async revokeOverride(token, id, justification) {
      return overrides.revoke(await verifier.verify(token), id, justification);
    },

    mcpDefinitions: async (token, filter) => definitionReview.list(await verifier.verify(token), filter),
    decideMcpDefinitions: async (token, input) => definitionReview.decide(await verifier.verify(token), input),

    trends: async (token, weeks = TRENDS_DEFAULT_WEEKS) =>
      tenantTrends({ audit, approvals, overrides: stores.overrides, tools: () => registry.list(), now: () => clock.now() }, await verifier.verify(token), weeks, AUDIT_READER_ROLES),
    listIdempotencyRecords: async (token, filter) => idempotencyOperators.list(await verifier.verify(token), filter),
    getIdempotencyRecord: async (token, id) => idempotencyOperators.get(await verifier.verify(token), id),
    resolveIdempotencyRecord: async (token, id, outcome, justification) => idempotencyOperators.resolve(await verifier.verify(token), id, outcome, justification),
    async checkIdempotencyRecord(token, id) {
      const operator = await verifier.verify(token);
      const record = await idempotencyOperators.visible(operator, id);
      const tool = registry.get(record.tool);
      if (tool?.statusCheck === undefined) throw idempotencyFault('ERR_IDEMPOTENCY_NO_STATUS_CHECK', { tool: record.tool });
      const verdict = await checkStatus(tool, record, operator);
      if (verdict === 'unknown') return { verdict, record: recordView(record, clock.now()) };
      const now = clock.now();
      const resolved = await stores.idempotency.resolve(record.id, { via: 'status_check', outcome: verdict, by: null, justification: `status check of ${tool.name} asked by ${operator.user}`, at: now }, now);
      if (resolved === null) throw idempotencyFault('ERR_IDEMPOTENCY_NOT_UNKNOWN', { id });
      await recordResolution(resolved, operator);
      return { verdict, record: recordView(resolved, now) };
    },

    async classifyOutput(token, input) {
      const principal = await verifier.verify(token);
      const session = input.session_id === undefined ? null : await ownedSession(principal, input.session_id);
      // A model output is a step of its session: charged to the step budget before it is classified.
      if (session !== null && env.budgets !== null && env.budgets !== undefined) {
        const totals = await stores.budgets.charge(session.id, { steps: 1, toolCalls: 0, spendMicros: 0, fingerprint: null }, clock.now());
        const breach = budgetBreach(totals, budgetSettings, { denials: false });
        if (breach !== null) {
          await suspendSession(principal.tenant, session.id, breach, (ksId) => outputSuspensionEvent(principal, session.id, breach, totals, ksId)).catch((error: unknown) =>
            options.onBackgroundFault?.('session suspension', error),
          );
          throw new AirlockError('ERR_SESSION_BUDGET_EXCEEDED', `${breach.reason}; the session is suspended`, { status: 429, details: { code: breach.code } });
        }
      }
      // A session whose provenance cannot be read is not classified as clean: the call fails (fail closed).
      const labels = session === null ? null : (await sessionContent.trace(session, {})).labels;
      const answer = await classifyModelOutput({ outputs, audit, runtime: config.runtime, sideEffectOf: (tool) => registry.get(tool)?.sideEffect }, principal, session?.id ?? null, labels, input);
      metrics?.observeOutput('model_output', answer.class);
      return answer;
    },

    async resolveDataReference(token, reference) {
      const principal = await verifier.verify(token);
      const opened = outputs.resolveReference(principal, reference);
      await audit.append([standaloneEvent('data_reference.resolved', { ...actorOf(principal), agent: null }, { class: opened.class, reference_hash: tokenHash(reference) })]);
      return opened;
    },

    engageKillSwitch: async (token, input) => killSwitches.service.engage(await verifier.verify(token), input),
    releaseKillSwitch: async (token, id, justification) => killSwitches.service.release(await verifier.verify(token), id, justification),
    listKillSwitches: async (token, filter) => killSwitches.service.list(await verifier.verify(token), filter),

    async reloadPolicy() {
      const result = await reloadBundle();
      // The other replicas reload theirs (best effort: a failed announcement leaves them on their bundle).
      stores.fleet?.announce({ kind: 'policy.reloaded', version: result.version, from: replicaId }).catch((error: unknown) => options.onBackgroundFault?.('fleet announcement (policy reload)', error));
      return result;
    },

    policyVersion: () => policy.version,
    listTools: () => registry.list(),
    visibleTools: async (token) => visibleTools(await verifier.verify(token), registry.list(), env),

    async ready() {
      const checks: Record<string, boolean> = { policy: policy.version !== '', kill_switches: killSwitches.monitor.status().fresh };
      try {
        await audit.head();
        checks.audit = true;
      } catch {
        checks.audit = false;
      }
      Object.assign(checks, await stores.health());
      return { ready: Object.values(checks).every(Boolean), checks };
    },

    stats: () => ({
      audit: statsOf(audit) as GatewayStats['audit'],
      tokens: verifier.cacheStats(),
      policy: statsOf(policy),
      unrecorded_stops: env.faults.unrecordedStops,
      alerts: alertsRaised,
    }),

    async metrics(request) {
      if (metrics === null) throw metricsError('ERR_METRICS_DISABLED');
      const refused = checkMetricsAccess({ enabled: true, token: metricsToken }, request);
      if (refused !== null) throw refused;
      return { contentType: metrics.contentType, body: await metrics.expose() };
    },

    async close() {
      clearInterval(purge);
      clearInterval(idempotencyPurge);
      await fleetSubscription?.close();
      await killSwitches.close();
      await notifier?.drain();
      await shipper?.stop();
      await pruneSchedule?.stop();
      await audit.close();
      if (ownsStores) await stores.close();
      // Spans still queued are sent before the gateway is gone (bounded by the exporter's timeout).
      await tracer.shutdown().catch((error: unknown) => options.onBackgroundFault?.('tracing (flush at close)', error));
    },
  };
}

/**
 * The answer when the context gateway fails (a store or the audit log down): no context at all
 * — never unchecked chunks — and a message the runtime can show the user as it is. The details
 * name what failed by code only.
 */
export const CONTEXT_FALLBACK_MESSAGE = "I can't reach the knowledge sources I need right now, so I won't guess. Please try again in a few minutes.";

function contextUnavailable(cause: unknown): AirlockError {
  return new AirlockError('ERR_CONTEXT_UNAVAILABLE', 'the context gateway is unavailable; no context was assembled', {
    status: 503,
    cause,
    details: { fallback: { context: null, user_message: CONTEXT_FALLBACK_MESSAGE }, cause_code: cause instanceof AirlockError ? cause.code : 'ERR_INTERNAL' },
  });
}

/** The metrics bearer token from its secret reference (a blank secret is refused at start). */
async function metricsTokenOf(ref: string, secret: (ref: string) => Promise<Uint8Array>): Promise<string> {
  const token = Buffer.from(await secret(ref)).toString('utf8').trim();
  if (token === '') throw new AirlockError('ERR_CONFIG_SECRET_REF', 'the metrics token secret (server.metrics.token) is empty', { status: 500 });
  return token;
}

async function checkpointFor(audit: AuditStore): Promise<{ checkpoint?: never } | Record<string, unknown>> {
  const withCheckpoint = audit as AuditStore & { checkpoint?: () => Promise<unknown> };
  if (typeof withCheckpoint.checkpoint !== 'function') return {};
  const checkpoint = await withCheckpoint.checkpoint();
  return checkpoint === null || checkpoint === undefined ? {} : { checkpoint };
}
