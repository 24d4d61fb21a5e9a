/**
 * `npm run bench`: every benchmark of the project, one after another (so they do not
 * compete for the two cores), a table of medians and tails, and the JSON written to
 * bench/results/<timestamp>.json (and bench/results/latest.json).
 *
 *   npm run bench [-- --quick] [-- --only authorize,execute,audit,http,provenance,mcp,fleet,audit-postgres,peers]
 *
 * `peers` (not in the default set: it runs the others' subjects again) measures the doors beside
 * their peers and floors in one run: /v1/decide beside hono + jose, MCP beside supergateway and
 * mcp-proxy and the commit floor, execute beside the group-commit floor (docs/performance.md).
 *
 * `fleet` and `audit-postgres` need the PostgreSQL (and, for `fleet`, Redis) of this machine
 * (AIRLOCK_TEST_POSTGRES_URL / AIRLOCK_TEST_REDIS_URL); each makes and drops a schema of its own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { run as runAudit } from './audit.bench.ts';
import { run as runAuthorize } from './authorize.bench.ts';
import { run as runExecute } from './execute.bench.ts';
import { run as runHttp } from './http-decide.bench.ts';
import { run as runProvenance } from './provenance.bench.ts';
import { run as runMcp } from './mcp.bench.ts';
import { run as runFleet } from './fleet.bench.ts';
import { runPostgresAudit } from './audit-postgres.bench.ts';
import { run as runPeers } from './peers.bench.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

interface Row {
  benchmark: string;
  figure: string;
  target: string;
  met: boolean | null;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const quick = values.quick === true;
const only = new Set((values.only ?? 'authorize,execute,audit,http,provenance,mcp,fleet,audit-postgres').split(','));
const results: Record<string, unknown> = {
  started_at: new Date().toISOString(),
  node: process.version,
  cpus: (await import('node:os')).availableParallelism(),
  quick,
};
const rows: Row[] = [];
const progress = (name: string) => process.stderr.write(`running ${name}...\n`);

if (only.has('authorize')) {
  progress('authorize');
  const r = await runAuthorize({ iterations: quick ? 2_000 : 20_000 });
  results.authorize = r;
  rows.push({
    benchmark: `${r.name} (validate + Cedar, ${r.policies} policies)`,
    figure: `p50 ${r.p50_us} µs, p99 ${r.p99_us} µs (engine alone p50 ${r.authorize_only_p50_us} µs, p99 ${r.authorize_only_p99_us} µs)`,
    target: 'p50 <= 100 µs, p99 <= 400 µs',
    met: r.p50_us <= 100 && r.p99_us <= 400,
  });
}
if (only.has('execute')) {
  progress('execute');
  const r = await runExecute({ seconds: quick ? 2 : 10, concurrency: 64 });
  results.execute = r;
  rows.push({ benchmark: r.name, figure: `${r.calls_per_s} calls/s (p50 ${Math.round(r.p50_us)} µs, p99 ${Math.round(r.p99_us)} µs at ${r.concurrency} in flight)`, target: '>= 5,000 calls/s', met: r.calls_per_s >= 5000 });
}
if (only.has('audit')) {
  progress('audit');
  const r = await runAudit({ calls: quick ? 4_000 : 20_000, producers: 64, mode: 'split' });
  results.audit = r;
  const line = r as unknown as { calls_per_s?: number; callsPerSecond?: number };
  rows.push({ benchmark: 'audit append alone (2 durable events per call, split)', figure: `${line.calls_per_s ?? line.callsPerSecond ?? '?'} calls/s`, target: '(context for execute)', met: null });
}
if (only.has('http')) {
  progress('http');
  const r = await runHttp({ seconds: quick ? 3 : 20, rounds: quick ? 2 : 10, warmup: quick ? 2 : 10, connections: 32 });
  results.http_decide = r;
  rows.push({ benchmark: r.name, figure: `${r.requests_per_s} req/s (p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms, ${r.non_2xx} non-2xx)`, target: '(reported)', met: null });
  rows.push({
    benchmark: 'HTTP POST /v1/decide: metrics + tracing (sample ratio 1, OTLP) on vs off (side by side, alternating rounds)',
    figure:
      `${r.metrics.on_requests_per_s} vs ${r.metrics.off_requests_per_s} req/s: ratio ${r.metrics.ratio} (cost ${r.metrics.cost_percent}%; median of ${r.metrics.rounds} paired rounds ${r.metrics.paired_median_cost_percent}%)` +
      (r.metrics.cpu_us_per_request === null ? '' : `; CPU per decision ${r.metrics.cpu_us_per_request.on} vs ${r.metrics.cpu_us_per_request.off} µs (median of paired rounds ${r.metrics.cpu_us_per_request.paired_median_cost_percent}%)`) +
      `; ${r.metrics.spans_received} spans exported (${r.metrics.protocol})`,
    target: 'cost <= 5% (median of paired rounds)',
    met: r.metrics.paired_median_cost_percent <= 5,
  });
}

if (only.has('provenance')) {
  progress('provenance');
  const r = await runProvenance({ iterations: quick ? 2_000 : 20_000 });
  results.provenance = r;
  rows.push({ benchmark: r.name, figure: `p50 ${r.p50_us} µs, p99 ${r.p99_us} µs (register ${r.register_ms} ms, ${r.heap_mb} MB heap)`, target: 'p50 <= 100 µs', met: r.p50_us <= 100 });
}
if (only.has('mcp')) {
  progress('mcp');
  const r = await runMcp({ calls: quick ? 400 : 2000 });
  results.mcp = r;
  for (const door of ['stdio', 'http'] as const) {
    const x = r[door];
    rows.push({
      benchmark: `MCP tools/call added by the gateway (${door}, durable audit)`,
      figure:
        `median +${(x.added_p50_us / 1000).toFixed(2)} ms (x${x.ratio_p50}), p99 +${(x.added_p99_us / 1000).toFixed(2)} ms (x${x.ratio_p99}); direct p50 ${x.direct.p50_us} µs; ` +
        `inside (p50): before intent ${x.inside.before_intent_us} µs, intent commit ${x.inside.intent_commit_us} µs, upstream ${x.inside.upstream_us} µs, inspect ${x.inside.inspect_us} µs`,
      target: 'median added <= 1 ms',
      met: x.added_p50_us <= 1000,
    });
  }
}

if (only.has('fleet')) {
  progress('fleet');
  const r = await runFleet({ seconds: quick ? 3 : 10, concurrency: 64, replicas: 2, latencySeconds: quick ? 3 : 8, latencyConcurrency: 16 });
  results.fleet = r;
  const t = r.throughput;
  const p = r.plain;
  rows.push({
    benchmark: `${r.name} (the execute row's call: no session)`,
    figure: `${p.calls_per_s} calls/s (${p.per_replica_calls_per_s.join(' + ')}; p50 ${Math.round(p.p50_us)} µs, p99 ${Math.round(p.p99_us)} µs at ${p.concurrency_per_replica} in flight per replica; ${p.events_per_commit} events per commit)`,
    target: '>= 5,000 calls/s',
    met: p.calls_per_s >= 5000,
  });
  rows.push({
    benchmark: `${r.name} (agent in a session: provenance + activity)`,
    figure: `${t.calls_per_s} calls/s (${t.per_replica_calls_per_s.join(' + ')}; p50 ${Math.round(t.p50_us)} µs, p99 ${Math.round(t.p99_us)} µs at ${t.concurrency_per_replica} in flight per replica)`,
    target: '(reported)',
    met: null,
  });
  for (const op of ['decide', 'execute'] as const) {
    const x = r.latency[op];
    rows.push({
      benchmark: `${op} p50/p99 PostgreSQL vs SQLite (${r.latency.concurrency} in flight, alternating rounds)`,
      figure: `PostgreSQL ${Math.round(x.postgres.p50_us)}/${Math.round(x.postgres.p99_us)} µs vs SQLite ${Math.round(x.sqlite.p50_us)}/${Math.round(x.sqlite.p99_us)} µs: ratio p50 ${x.ratio_p50}, p99 ${x.ratio_p99}`,
      target: '(reported)',
      met: null,
    });
  }
}
if (only.has('audit-postgres')) {
  progress('audit-postgres');
  const r = await runPostgresAudit({ calls: quick ? 4_000 : 20_000, producers: 64, stores: 2 });
  results.audit_postgres = r;
  rows.push({
    benchmark: `audit append on PostgreSQL (${r.stores} stores x ${r.producers_per_store} producers, 2 events per call)`,
    figure: `${r.events_per_s} events/s (mean batch ${r.batches.mean_events}; append p50 ${r.append_latency_ms.p50} ms, p99 ${r.append_latency_ms.p99} ms)${r.ratio_postgres_to_sqlite === null ? '' : `; PostgreSQL/SQLite ${r.ratio_postgres_to_sqlite}`}; chain ${r.verify.ok ? 'verified' : 'BROKEN'}`,
    target: '(context for fleet)',
    met: null,
  });
}

if (only.has('peers')) {
  progress('peers');
  const r = await runPeers({ quick });
  results.peers = r;
  const d = r.decide;
  rows.push({
    benchmark: `POST /v1/decide beside hono + jose jwtVerify (${d.connections} connections, ${d.rounds} alternating rounds)`,
    figure: `${d.gateway.requests_per_s} vs ${d.peer.requests_per_s} req/s: ratio ${d.ratio}; gateway p50 ${d.gateway.p50_ms} ms, p99 ${d.gateway.p99_ms} ms (peer p99 ${d.peer.p99_ms} ms)${d.cpu_ratio === null ? '' : `; CPU per request ${d.gateway.cpu_us_per_request} vs ${d.peer.cpu_us_per_request} µs (${d.cpu_ratio}x)`}${d.baseline === undefined ? '' : `; baseline ${d.baseline.root}: ${d.baseline.requests_per_s} req/s, ratio ${d.baseline.ratio}, CPU per request ${d.baseline.cpu_us_per_request} µs`}`,
    target: 'ratio >= 0.55, p99 <= 5 ms',
    met: d.ratio >= 0.55 && d.gateway.p99_ms <= 5,
  });
  const f = r.commit_floor;
  rows.push({ benchmark: 'commit floor: one durable append (fsync) on the calling thread', figure: `p50 ${f.p50_us} µs, p99 ${f.p99_us} µs (two commits ${f.two_commits_us} µs)`, target: '(floor)', met: null });
  const m = r.mcp;
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  rows.push({
    benchmark: 'MCP tools/call added over the stdio fixture, stdio door',
    figure: `median +${ms(m.added_p50_us.stdio_door)} (two commits ${ms(f.two_commits_us)}; margin ${ms(m.stdio_margin_us)})`,
    target: '<= two commits + 0.25 ms',
    met: m.stdio_margin_us <= 0,
  });
  rows.push({
    benchmark: 'MCP tools/call added, /mcp (HTTP in, stdio upstream) beside supergateway and mcp-proxy',
    figure: `median +${ms(m.added_p50_us.http_door)} vs supergateway +${ms(m.added_p50_us.supergateway)}, mcp-proxy +${ms(m.added_p50_us.mcp_proxy)} (margin ${ms(m.http_margin_us)})`,
    target: '<= supergateway + two commits',
    met: m.http_margin_us <= 0,
  });
  const e = r.execute;
  rows.push({
    benchmark: `execute beside the group-committed hash-chained append floor (${e.concurrency} in flight, ${e.rounds} alternating rounds)`,
    figure: `${e.execute_calls_per_s} vs ${e.floor_calls_per_s} calls/s: ratio ${e.ratio} (events per commit ${e.execute_events_per_commit} vs ${e.floor_events_per_commit})`,
    target: 'ratio >= 0.75',
    met: e.ratio >= 0.75,
  });
}

mkdirSync(RESULTS, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
writeFileSync(join(RESULTS, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => String(r[k]).length));
const line = (r: Record<keyof Row, string>) =>
  `${r.benchmark.padEnd(width('benchmark'))}  ${r.figure.padEnd(width('figure'))}  ${r.target.padEnd(width('target'))}  ${r.met}`;
process.stdout.write(`${line({ benchmark: 'benchmark', figure: 'figure', target: 'target', met: 'met' })}\n`);
for (const r of rows) process.stdout.write(`${line({ benchmark: r.benchmark, figure: r.figure, target: r.target, met: r.met === null ? '-' : r.met ? 'yes' : 'NO' })}\n`);
process.stdout.write(`\nJSON: ${join(RESULTS, `${stamp}.json`)}\n`);
