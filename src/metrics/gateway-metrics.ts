/**
 * The Prometheus metrics of one gateway, in a registry of its own (never prom-client's global
 * default, so two gateways in one process never mix). Calls are observed once, after they end
 * (decisions by outcome, rule, tool and tenant; phase and call latency; rate-limit refusals;
 * upstream errors); audit batches as they commit; the backlog gauges (pending approvals,
 * open overrides, pending MCP definitions) are read from their stores at scrape time.
 * Label values are bounded: see labels.ts.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { BoundedLabel, NONE, OTHER, UNKNOWN, median } from './labels.ts';
import type { CounterSeries, HistogramSeries } from './series.ts';
import { FastCounter, FastHistogram } from './series.ts';

/** One finished call, as the pipeline saw it. */
export interface CallObservation {
  mode: string;
  outcome: string;
  /** The determining rule (first reason's policy id); null when there is none. */
  rule: string | null;
  /** The registered tool's name; null when the call named no registered tool. */
  tool: string | null;
  /** The verified principal's tenant; null when identity was not established. */
  tenant: string | null;
  /** Phase name -> microseconds since the start of the call when it finished, in phase order. */
  timings: Readonly<Record<string, number>>;
  latencyUs: number;
  /** The call was refused by the rate limiter. */
  rateLimited: boolean;
  /** The connector's error code, when the connector (upstream) failed. */
  upstreamError: string | null;
}

export interface AuditBatchObservation {
  events: number;
  ok: boolean;
  commitUs: number;
}

/** Where the scrape-time gauges read from (each optional: absent, the gauge stays empty). */
export interface MetricSources {
  now(): number;
  /** Pending, unexpired approval requests per tenant with the creation time (ms) of the oldest. */
  pendingApprovals?(now: number): Promise<Array<{ tenant: string; count: number; oldestCreatedAt: number }>>;
  /** Creation times (ms) of the open overrides, with their tenants. */
  openOverrides?(now: number): Promise<Array<{ tenant: string; createdAt: number }>>;
  /** Upstream (MCP) tool definitions waiting for review. */
  pendingDefinitions?(): Promise<number>;
}

export interface GatewayMetricsOptions {
  sources?: MetricSources;
  /** Told when a scrape-time source failed (the gauge is left empty and the failure counted). */
  onCollectError?: (source: string, error: unknown) => void;
}

/** Most distinct values kept per label before the rest count as `(other)`. */
export const LABEL_LIMITS = { rule: 256, tool: 1024, tenant: 1024, code: 64 } as const;

const PHASE_BUCKETS = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const CALL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const CODE = /^ERR_[A-Z0-9_]{1,64}$/;
const REASON = /^[a-z_]{1,32}\.[a-z_]{1,64}$/;
const OUTPUT_CLASSES = new Set(['informational', 'needs_confirmation', 'needs_approval', 'blocked']);
const ALERT_TYPES = new Set(['session_suspended', 'audit_delay']);
const SPAN_DROP_REASONS = new Set(['queue_full', 'export_failed']);

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #rules = new BoundedLabel(LABEL_LIMITS.rule);
  readonly #tools = new BoundedLabel(LABEL_LIMITS.tool);
  readonly #tenants = new BoundedLabel(LABEL_LIMITS.tenant);
  readonly #codes = new BoundedLabel(LABEL_LIMITS.code);
  readonly #decisions: FastCounter;
  readonly #phases: FastHistogram;
  readonly #calls: FastHistogram;
  readonly #rateLimited: Counter<'tool' | 'tenant'>;
  readonly #upstream: Counter<'tool' | 'code'>;
  readonly #auditCommit: Histogram;
  readonly #auditBatch: Histogram;
  readonly #auditFailed: Counter;
  readonly #checkpointFailed: Counter;
  readonly #collectErrors: Counter<'source'>;
  readonly #outputClasses: Counter<'source' | 'class'>;
  readonly #alerts: Counter<'type' | 'code'>;
  readonly #spansDropped: Counter<'reason'>;
  /** Series by label values, resolved once (see series.ts): decisions by joined values, latencies by mode then phase or outcome. */
  readonly #decisionSeries = new Map<string, CounterSeries>();
  readonly #phaseSeries = new Map<string, Map<string, HistogramSeries>>();
  readonly #callSeries = new Map<string, Map<string, HistogramSeries>>();

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    const registry = this.registry;
    this.#decisions = new FastCounter({
      name: 'airlock_decisions_total',
      help: 'Decisions by mode, outcome, determining rule, registered tool and tenant.',
      registry,
    });
    this.#phases = new FastHistogram({ name: 'airlock_phase_duration_seconds', help: 'Time spent in each pipeline phase.', buckets: PHASE_BUCKETS, registry });
    this.#calls = new FastHistogram({
      name: 'airlock_call_duration_seconds',
      help: 'Time from the start of a call to its end, by mode and outcome.',
      buckets: CALL_BUCKETS,
      registry,
    });
    this.#rateLimited = new Counter({
      name: 'airlock_rate_limit_refusals_total',
      help: 'Calls refused by the rate limiter.',
      labelNames: ['tool', 'tenant'],
      registers,
    });
    this.#upstream = new Counter({
      name: 'airlock_upstream_errors_total',
      help: 'Executed calls whose connector (upstream) failed, by tool and error code.',
      labelNames: ['tool', 'code'],
      registers,
    });
    this.#auditCommit = new Histogram({
      name: 'airlock_audit_commit_duration_seconds',
      help: 'Time to commit one audit batch (one transaction, one fsync).',
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.#auditBatch = new Histogram({
      name: 'airlock_audit_batch_events',
      help: 'Events per committed audit batch.',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.#auditFailed = new Counter({ name: 'airlock_audit_failed_batches_total', help: 'Audit batches whose commit failed.', registers });
    this.#checkpointFailed = new Counter({
      name: 'airlock_audit_checkpoint_failures_total',
      help: 'Writes of the signed audit checkpoint file that failed (the events stay committed; the file lags behind the log until a write succeeds).',
      registers,
    });
    this.#collectErrors = new Counter({
      name: 'airlock_metrics_collect_errors_total',
      help: 'Scrapes in which a gauge source could not be read (the gauge was left empty).',
      labelNames: ['source'],
      registers,
    });
    this.#outputClasses = new Counter({
      name: 'airlock_output_classes_total',
      help: 'Outputs classed by the output policies, by source (tool_result, model_output) and class.',
      labelNames: ['source', 'class'],
      registers,
    });
    this.#alerts = new Counter({
      name: 'airlock_alerts_total',
      help: 'Alerts the gateway raised itself (session_suspended with its reason code, audit_delay).',
      labelNames: ['type', 'code'],
      registers,
    });
    this.#spansDropped = new Counter({
      name: 'airlock_spans_dropped_total',
      help: 'Trace spans dropped: the export queue was full (queue_full) or the collector did not take their batch (export_failed).',
      labelNames: ['reason'],
      registers,
    });
    this.#gauges(options.sources, registers, (source, error) => {
      this.#collectErrors.inc({ source });
      options.onCollectError?.(source, error);
    });
  }

  /** Records one finished call. */
  observeCall(call: CallObservation): void {
    const tool = call.tool === null ? UNKNOWN : this.#tools.value(call.tool);
    const tenant = call.tenant === null ? NONE : this.#tenants.value(call.tenant);
    const rule = call.rule === null ? NONE : this.#rules.value(call.rule);
    const key = `${call.mode}\u0000${call.outcome}\u0000${rule}\u0000${tool}\u0000${tenant}`;
    let decision = this.#decisionSeries.get(key);
    if (decision === undefined) {
      decision = this.#decisions.of({ mode: call.mode, outcome: call.outcome, rule, tool, tenant });
      this.#decisionSeries.set(key, decision);
    }
    decision.inc();
    const phases = this.#seriesOf(this.#phaseSeries, call.mode);
    let previous = 0;
    for (const phase in call.timings) {
      const at = call.timings[phase] as number;
      let series = phases.get(phase);
      if (series === undefined) {
        series = this.#phases.of({ mode: call.mode, phase });
        phases.set(phase, series);
      }
      series.observe(Math.max(0, at - previous) / 1e6);
      previous = at;
    }
    const calls = this.#seriesOf(this.#callSeries, call.mode);
    let latency = calls.get(call.outcome);
    if (latency === undefined) {
      latency = this.#calls.of({ mode: call.mode, outcome: call.outcome });
      calls.set(call.outcome, latency);
    }
    latency.observe(call.latencyUs / 1e6);
    if (call.rateLimited) this.#rateLimited.inc({ tool, tenant });
    if (call.upstreamError !== null) {
      const code = CODE.test(call.upstreamError) ? this.#codes.value(call.upstreamError) : OTHER;
      this.#upstream.inc({ tool, code });
    }
  }

  /** Records the class the output policies gave one output. */
  observeOutput(source: 'tool_result' | 'model_output', outputClass: string): void {
    this.#outputClasses.inc({ source, class: OUTPUT_CLASSES.has(outputClass) ? outputClass : OTHER });
  }

  /** Records one alert (the code is a budget or loop reason code, bounded; none for other alerts). */
  observeAlert(type: string, code: string | null): void {
    this.#alerts.inc({ type: ALERT_TYPES.has(type) ? type : OTHER, code: code === null ? NONE : REASON.test(code) ? this.#codes.value(code) : OTHER });
  }

  /** Records trace spans dropped on their way to the collector. */
  observeDroppedSpans(spans: number, reason: string): void {
    this.#spansDropped.inc({ reason: SPAN_DROP_REASONS.has(reason) ? reason : OTHER }, spans);
  }

  /** Records one failed rewrite of the signed audit checkpoint file. */
  observeCheckpointFailure(): void {
    this.#checkpointFailed.inc();
  }

  /** Records one audit batch commit. */
  observeAuditBatch(batch: AuditBatchObservation): void {
    this.#auditCommit.observe(batch.commitUs / 1e6);
    this.#auditBatch.observe(batch.events);
    if (!batch.ok) this.#auditFailed.inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The text exposition (reads the scrape-time gauges' sources). */
  expose(): Promise<string> {
    return this.registry.metrics();
  }

  /** The series of one mode (modes and phases are the pipeline's own, a closed set). */
  #seriesOf(cache: Map<string, Map<string, HistogramSeries>>, mode: string): Map<string, HistogramSeries> {
    let byMode = cache.get(mode);
    if (byMode === undefined) {
      byMode = new Map();
      cache.set(mode, byMode);
    }
    return byMode;
  }

  #gauges(sources: MetricSources | undefined, registers: Registry[], failed: (source: string, error: unknown) => void): void {
    const tenants = this.#tenants;
    const tenantOf = (raw: string) => tenants.value(raw);
    // A read in flight is shared by the two gauges of its store (one store read per scrape); a
    // failed read is reported and leaves those gauges empty.
    const shared = <T>(source: string, read: () => Promise<T | null>): (() => Promise<T | null>) => {
      let pending: Promise<T | null> | null = null;
      return () =>
        (pending ??= read()
          .catch((error: unknown) => {
            failed(source, error);
            return null;
          })
          .finally(() => {
            pending = null;
          }));
    };
    const readApprovals = shared('approvals', async () => {
      if (sources?.pendingApprovals === undefined) return null;
      const now = sources.now();
      const byTenant = new Map<string, { count: number; oldest: number }>();
      for (const row of await sources.pendingApprovals(now)) {
        const tenant = tenantOf(row.tenant);
        const age = Math.max(0, (now - row.oldestCreatedAt) / 1000);
        const seen = byTenant.get(tenant);
        byTenant.set(tenant, { count: (seen?.count ?? 0) + row.count, oldest: Math.max(seen?.oldest ?? 0, age) });
      }
      return byTenant;
    });
    const readOverrides = shared('overrides', async () => {
      if (sources?.openOverrides === undefined) return null;
      const now = sources.now();
      const byTenant = new Map<string, number[]>();
      for (const row of await sources.openOverrides(now)) {
        const tenant = tenantOf(row.tenant);
        const ages = byTenant.get(tenant) ?? [];
        ages.push(Math.max(0, (now - row.createdAt) / 1000));
        byTenant.set(tenant, ages);
      }
      return byTenant;
    });
    const gauge = (name: string, help: string, which: 'approvals' | 'overrides', value: (entry: never) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['tenant'],
        registers,
        async collect() {
          const read = which === 'approvals' ? readApprovals() : readOverrides();
          const data = (await read) as Map<string, never> | null;
          this.reset();
          for (const [tenant, entry] of data ?? []) this.set({ tenant }, value(entry));
        },
      });
    gauge('airlock_approvals_pending', 'Approval requests waiting for a reviewer (unexpired), by tenant.', 'approvals', (e: { count: number }) => e.count);
    gauge('airlock_approvals_pending_oldest_age_seconds', 'Age of the oldest pending approval request, by tenant.', 'approvals', (e: { oldest: number }) => e.oldest);
    gauge('airlock_overrides_open', 'Break-glass overrides open now, by tenant.', 'overrides', (ages: number[]) => ages.length);
    gauge('airlock_overrides_open_median_age_seconds', 'Median age of the open break-glass overrides, by tenant.', 'overrides', (ages: number[]) => median(ages));
    new Gauge({
      name: 'airlock_mcp_definitions_pending',
      help: 'Upstream MCP tool definitions waiting for review (their calls are refused meanwhile).',
      registers,
      async collect() {
        if (sources?.pendingDefinitions === undefined) return;
        try {
          this.set(await sources.pendingDefinitions());
        } catch (error) {
          failed('mcp_definitions', error);
          // Unknown, not zero: an unreadable pin store must not look like an empty review queue.
          this.set(NaN);
        }
      },
    });
  }
}
