import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { register as globalRegistry } from 'prom-client';
import type { CallObservation, MetricSources } from './gateway-metrics.ts';
import { GatewayMetrics, LABEL_LIMITS } from './gateway-metrics.ts';
import { BoundedLabel, OTHER, median } from './labels.ts';
import { parseExposition } from './test-helpers.ts';

function call(overrides: Partial<CallObservation> = {}): CallObservation {
  return {
    mode: 'decide',
    outcome: 'allow',
    rule: 'permit-read',
    tool: 'crm.read',
    tenant: 'acme',
    timings: { identify: 10, screen: 30, resolve: 35 },
    latencyUs: 40,
    rateLimited: false,
    upstreamError: null,
    ...overrides,
  };
}

async function scrape(metrics: GatewayMetrics) {
  return parseExposition(await metrics.expose());
}

test('a call is counted once under its mode, outcome, rule, tool and tenant', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeCall(call());
  metrics.observeCall(call());
  metrics.observeCall(call({ outcome: 'deny', rule: 'forbid-delete', tool: 'crm.delete', tenant: 'globex' }));
  const m = await scrape(metrics);
  assert.equal(m.types.get('airlock_decisions_total'), 'counter');
  assert.equal(m.value('airlock_decisions_total', { mode: 'decide', outcome: 'allow', rule: 'permit-read', tool: 'crm.read', tenant: 'acme' }), 2);
  assert.equal(m.value('airlock_decisions_total', { mode: 'decide', outcome: 'deny', rule: 'forbid-delete', tool: 'crm.delete', tenant: 'globex' }), 1);
  assert.equal(m.sum('airlock_decisions_total'), 3);
});

test('phase durations are the differences between the cumulative phase timings', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeCall(call({ timings: { identify: 10, screen: 30, resolve: 35 } }));
  const m = await scrape(metrics);
  assert.equal(m.value('airlock_phase_duration_seconds_count', { mode: 'decide', phase: 'screen' }), 1);
  assert.ok(Math.abs((m.value('airlock_phase_duration_seconds_sum', { mode: 'decide', phase: 'identify' }) ?? -1) - 10e-6) < 1e-12);
  assert.ok(Math.abs((m.value('airlock_phase_duration_seconds_sum', { mode: 'decide', phase: 'screen' }) ?? -1) - 20e-6) < 1e-12);
  assert.ok(Math.abs((m.value('airlock_phase_duration_seconds_sum', { mode: 'decide', phase: 'resolve' }) ?? -1) - 5e-6) < 1e-12);
  assert.equal(m.value('airlock_call_duration_seconds_count', { mode: 'decide', outcome: 'allow' }), 1);
});

test('a call naming no registered tool, no tenant or no rule is counted under placeholders', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeCall(call({ outcome: 'deny', tool: null, tenant: null, rule: null }));
  const m = await scrape(metrics);
  assert.equal(m.value('airlock_decisions_total', { mode: 'decide', outcome: 'deny', rule: '(none)', tool: '(unknown)', tenant: '(none)' }), 1);
});

test('rate-limit refusals and upstream errors are counted by tool; an error code not shaped like one is (other)', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeCall(call({ outcome: 'deny', rule: 'builtin.rate_limit', rateLimited: true }));
  metrics.observeCall(call({ mode: 'execute', upstreamError: 'ERR_CONNECTOR_TIMEOUT' }));
  metrics.observeCall(call({ mode: 'execute', upstreamError: 'caller text {"x"}' }));
  const m = await scrape(metrics);
  assert.equal(m.value('airlock_rate_limit_refusals_total', { tool: 'crm.read', tenant: 'acme' }), 1);
  assert.equal(m.value('airlock_upstream_errors_total', { tool: 'crm.read', code: 'ERR_CONNECTOR_TIMEOUT' }), 1);
  assert.equal(m.value('airlock_upstream_errors_total', { tool: 'crm.read', code: OTHER }), 1);
});

test('tenants beyond the label limit are counted under (other), and every call is still counted', async () => {
  const metrics = new GatewayMetrics();
  const calls = LABEL_LIMITS.tenant + 50;
  for (let i = 0; i < calls; i++) metrics.observeCall(call({ tenant: `t${i}` }));
  const m = await scrape(metrics);
  const series = m.samples.filter((s) => s.name === 'airlock_decisions_total');
  assert.equal(series.length, LABEL_LIMITS.tenant + 1);
  assert.equal(m.value('airlock_decisions_total', { mode: 'decide', outcome: 'allow', rule: 'permit-read', tool: 'crm.read', tenant: OTHER }), 50);
  assert.equal(m.sum('airlock_decisions_total'), calls);
});

test('a bounded label never holds more than its limit of distinct values, and keeps the ones it admitted', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 60 }), (max, values) => {
      const label = new BoundedLabel(max);
      const out = values.map((v) => label.value(v));
      const admitted = new Set(out.filter((v) => v !== OTHER));
      assert.ok(admitted.size <= max);
      // The first `max` distinct values are admitted, and each keeps its own label afterwards.
      const firstDistinct = [...new Set(values)].slice(0, max);
      values.forEach((v, i) => assert.equal(out[i], firstDistinct.includes(v) ? v : OTHER));
    }),
  );
});

test('median of an even, odd and empty list', () => {
  assert.equal(median([]), 0);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('audit batches are observed: commit latency, events per batch, failed batches', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeAuditBatch({ events: 3, ok: true, commitUs: 1500 });
  metrics.observeAuditBatch({ events: 40, ok: false, commitUs: 500 });
  const m = await scrape(metrics);
  assert.equal(m.value('airlock_audit_commit_duration_seconds_count'), 2);
  assert.ok(Math.abs((m.value('airlock_audit_commit_duration_seconds_sum') ?? -1) - 0.002) < 1e-12);
  assert.equal(m.value('airlock_audit_batch_events_sum'), 43);
  assert.equal(m.value('airlock_audit_batch_events_bucket', { le: '4' }), 1);
  assert.equal(m.value('airlock_audit_failed_batches_total'), 1);
});

test('the backlog gauges are read from their sources at scrape time', async () => {
  let now = 100_000;
  let pending = [{ tenant: 'acme', count: 2, oldestCreatedAt: 40_000 }];
  let reads = 0;
  const sources: MetricSources = {
    now: () => now,
    async pendingApprovals(at) {
      reads++;
      assert.equal(at, now);
      return pending;
    },
    openOverrides: async () => [
      { tenant: 'acme', createdAt: 90_000 },
      { tenant: 'acme', createdAt: 70_000 },
      { tenant: 'acme', createdAt: 40_000 },
      { tenant: 'globex', createdAt: 99_000 },
    ],
    pendingDefinitions: async () => 3,
  };
  const metrics = new GatewayMetrics({ sources });
  let m = await scrape(metrics);
  assert.equal(reads, 1, 'the two approval gauges share one read of the store per scrape');
  assert.equal(m.value('airlock_approvals_pending', { tenant: 'acme' }), 2);
  assert.equal(m.value('airlock_approvals_pending_oldest_age_seconds', { tenant: 'acme' }), 60);
  assert.equal(m.value('airlock_overrides_open', { tenant: 'acme' }), 3);
  assert.equal(m.value('airlock_overrides_open_median_age_seconds', { tenant: 'acme' }), 30);
  assert.equal(m.value('airlock_overrides_open_median_age_seconds', { tenant: 'globex' }), 1);
  assert.equal(m.value('airlock_mcp_definitions_pending'), 3);
  // A tenant whose backlog emptied disappears; ages follow the clock.
  now = 110_000;
  pending = [{ tenant: 'globex', count: 1, oldestCreatedAt: 100_000 }];
  m = await scrape(metrics);
  assert.equal(m.value('airlock_approvals_pending', { tenant: 'acme' }), undefined);
  assert.equal(m.value('airlock_approvals_pending_oldest_age_seconds', { tenant: 'globex' }), 10);
});

test('a failing gauge source leaves its gauges empty (NaN when unlabelled), is counted and reported, and the scrape still succeeds', async () => {
  const reported: string[] = [];
  const metrics = new GatewayMetrics({
    sources: {
      now: () => 0,
      pendingApprovals: () => Promise.reject(new Error('state database gone')),
      pendingDefinitions: () => Promise.reject(new Error('pin store gone')),
    },
    onCollectError: (source) => reported.push(source),
  });
  await metrics.expose();
  const m = await scrape(metrics);
  assert.equal(m.sum('airlock_approvals_pending'), 0);
  assert.ok(Number.isNaN(m.value('airlock_mcp_definitions_pending')), 'unknown (NaN), never 0');
  assert.equal(m.value('airlock_metrics_collect_errors_total', { source: 'approvals' }), 1);
  assert.deepEqual(reported.sort(), ['approvals', 'approvals', 'mcp_definitions', 'mcp_definitions']);
});

test('each gateway has a registry of its own; the process-wide default registry is left alone', async () => {
  const a = new GatewayMetrics();
  const b = new GatewayMetrics();
  a.observeCall(call());
  assert.equal((await scrape(a)).sum('airlock_decisions_total'), 1);
  assert.equal((await scrape(b)).sum('airlock_decisions_total'), 0);
  assert.equal(globalRegistry.getSingleMetric('airlock_decisions_total'), undefined);
});

test('the exposition parser refuses malformed lines (so the parse checks can fail)', () => {
  assert.throws(() => parseExposition('airlock_x{a="1"} \n'));
  assert.throws(() => parseExposition('airlock_x{a=1} 2\n'));
  assert.throws(() => parseExposition('# TYPE airlock_x countr\n'));
  assert.throws(() => parseExposition('airlock_x 1'));
  assert.equal(parseExposition('# HELP x a "b"\n# TYPE x gauge\nx{a="q\\"\\\\"} 1.5e3\n').value('x', { a: 'q"\\' }), 1500);
});

test('dropped trace spans are counted by reason; a reason not known is (other)', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeDroppedSpans(12, 'queue_full');
  metrics.observeDroppedSpans(3, 'queue_full');
  metrics.observeDroppedSpans(2_048, 'export_failed');
  metrics.observeDroppedSpans(1, 'made-up');
  const m = await scrape(metrics);
  assert.equal(m.types.get('airlock_spans_dropped_total'), 'counter');
  assert.equal(m.value('airlock_spans_dropped_total', { reason: 'queue_full' }), 15);
  assert.equal(m.value('airlock_spans_dropped_total', { reason: 'export_failed' }), 2_048);
  assert.equal(m.value('airlock_spans_dropped_total', { reason: OTHER }), 1);
});

test('phase and call latencies of different modes are separate series', async () => {
  const metrics = new GatewayMetrics();
  metrics.observeCall(call({ mode: 'decide', timings: { identify: 10, authorize: 30 } }));
  metrics.observeCall(call({ mode: 'execute', timings: { identify: 20, authorize: 25 } }));
  metrics.observeCall(call({ mode: 'execute', outcome: 'deny', timings: { identify: 40 } }));
  const m = await scrape(metrics);
  assert.equal(m.value('airlock_phase_duration_seconds_count', { mode: 'decide', phase: 'identify' }), 1);
  assert.equal(m.value('airlock_phase_duration_seconds_count', { mode: 'execute', phase: 'identify' }), 2);
  assert.ok(Math.abs((m.value('airlock_phase_duration_seconds_sum', { mode: 'execute', phase: 'authorize' }) ?? -1) - 5e-6) < 1e-12);
  assert.equal(m.value('airlock_call_duration_seconds_count', { mode: 'execute', outcome: 'allow' }), 1);
  assert.equal(m.value('airlock_call_duration_seconds_count', { mode: 'execute', outcome: 'deny' }), 1);
  assert.equal(m.value('airlock_call_duration_seconds_count', { mode: 'decide', outcome: 'allow' }), 1);
});
