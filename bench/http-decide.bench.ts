/**
 * Benchmark of `POST /v1/decide` over loopback: the gateway runs as its own process
 * (`airlock serve`, durable SQLite audit), and autocannon drives it from this process,
 * so the load generator does not share the gateway's event loop.
 *
 * Observability cost, side by side in one run: two gateways — "on": metrics (the default) and
 * OpenTelemetry tracing of every call (sample ratio 1, a span per call and per phase, exported
 * over OTLP/HTTP to a sink in its own process); "off": `server.metrics.enabled: false`, no
 * tracing — are started together and measured in alternating rounds (on, off, on, off, ...),
 * so drift of the shared machine falls on both; the figure is the ratio of their throughputs.
 * Each "on" round ends with a scrape of /metrics (as Prometheus would), which also checks that
 * the decisions were counted; at the end the sink must have received the spans.
 *
 * Beside the throughput ratio, each gateway process's CPU time (all its threads: event loop,
 * audit writer, span export) is read from /proc around its rounds (Linux): CPU per decision is
 * far less disturbed by other load on the machine than throughput is, and says what the "on"
 * gateway spends on metrics and tracing. The OTLP sink's CPU (the collector's work) is reported
 * apart.
 *
 * Both are warmed up first, in alternating slices of 2 s, `--warmup` seconds each.
 *
 *   node bench/http-decide.bench.ts [--seconds 10] [--connections 32] [--rounds 4] [--warmup 10] [--sample-ratio 1] [--protocol http/protobuf|http/json]
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { CLI_MAIN, writeDemoConfig } from '../scripts/demo-config.ts';

export interface HttpBenchResult {
  name: string;
  seconds: number;
  connections: number;
  requests: number;
  requests_per_s: number;
  non_2xx: number;
  errors: number;
  latency_ms: { p50: number; p90: number; p99: number; mean: number; max: number };
  /** Metrics and tracing on (figures above) against both off, measured side by side; spans the sink received. */
  metrics: {
    sample_ratio: number;
    /** The OTLP encoding the "on" gateway exported with. */
    protocol: string;
    spans_received: number; sink_requests_parsed: number; rounds: number; warmup_s: number; on_requests_per_s: number; off_requests_per_s: number; ratio: number; cost_percent: number;
    /** The median, over pairs of adjacent rounds, of the throughput cost (percent): less moved by one disturbed round. */
    paired_median_cost_percent: number;
    off_latency_ms: { p50: number; p99: number };
    /** CPU time per decision (µs, all threads of the gateway process; null off Linux), and the on/off excess in percent. */
    cpu_us_per_request: { on: number; off: number; cost_percent: number; paired_median_cost_percent: number; sink_on: number } | null;
  };
}

/** CPU seconds (user + system, all threads) a process has used so far, or null where /proc is not there. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: 100 on every Linux configuration Node supports. */
const CLOCK_TICKS = 100;

function output(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI_MAIN, ...args]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`airlock ${args[0]} exited ${code}`))));
  });
}

/** The demo config in its own directory (its own audit log): metrics and tracing (to `sink`) on, or both off. */
function configFor(sink: string | null, sampleRatio = 1, protocol = 'http/protobuf'): string {
  const path = writeDemoConfig(mkdtempSync(join(tmpdir(), `airlock-http-bench-${sink === null ? 'off' : 'on'}-`)), { limits: false });
  const text = readFileSync(path, 'utf8');
  if (sink !== null) writeFileSync(path, `${text}\ntracing:\n  endpoint: ${sink}\n  sample_ratio: ${sampleRatio}\n  protocol: ${protocol}\n`);
  else {
    if (!/^server:\n/m.test(text)) throw new Error('the demo config has no server section to switch metrics off in');
    writeFileSync(path, text.replace(/^server:\n/m, 'server:\n  metrics:\n    enabled: false\n'));
  }
  return path;
}

/**
 * An OTLP/HTTP sink in its own process, as cheap as a receiver can honestly be (in production
 * the collector runs elsewhere, not on the gateway's cores). Protobuf (the gateway's default):
 * it walks the message's lengths down to the spans and counts them, without decoding a span.
 * JSON: it counts each request's spans by their `"spanId":` keys in the raw body — exact for
 * the gateway's OTLP JSON, which sends no links (inside string values a quote is escaped, so
 * no value can fake the key). Either way it decodes the first request and one in 32 after it
 * in full, checking every span's ids, name and times and the count against the spans really
 * there. GET /count tells the total, the requests checked and any mismatch.
 */
const SINK = `
const http = require('node:http');
const KEY = Buffer.from('"spanId":');
const CHECK_EVERY = 32;
let spans = 0, requests = 0, checked = 0;
const faults = [];
const types = new Set();
function countedJson(body) {
  let n = 0;
  for (let at = body.indexOf(KEY); at !== -1; at = body.indexOf(KEY, at + KEY.length)) n++;
  return n;
}
function parsedJson(body) {
  const otlp = JSON.parse(body.toString('utf8'));
  let n = 0;
  for (const rs of otlp.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) {
    if (!/^[0-9a-f]{32}$/.test(s.traceId) || !/^[0-9a-f]{16}$/.test(s.spanId) || typeof s.name !== 'string' || typeof s.startTimeUnixNano !== 'string') throw new Error('not an OTLP span: ' + JSON.stringify(s).slice(0, 200));
    n++;
  }
  return n;
}
// Protobuf: the fields of a message as [field, wire, start, end] of their value.
function fields(b, start, end) {
  const out = [];
  let p = start;
  const varint = () => { let v = 0, m = 1, x; do { if (p >= end) throw new Error('truncated'); x = b[p++]; v += (x & 0x7f) * m; m *= 128; } while (x & 0x80); return v; };
  while (p < end) {
    const key = varint(), field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) { const s = p; varint(); out.push([field, wire, s, p]); }
    else if (wire === 1) { out.push([field, wire, p, p + 8]); p += 8; }
    else if (wire === 5) { out.push([field, wire, p, p + 4]); p += 4; }
    else if (wire === 2) { const n = varint(); if (p + n > end) throw new Error('length past the end'); out.push([field, wire, p, p + n]); p += n; }
    else throw new Error('wire type ' + wire);
  }
  if (p !== end) throw new Error('message overruns its length');
  return out;
}
function protoSpans(body, each) {
  let n = 0;
  for (const [f, , s, e] of fields(body, 0, body.length)) if (f === 1)
    for (const [g, , s2, e2] of fields(body, s, e)) if (g === 2)
      for (const [h, , s3, e3] of fields(body, s2, e2)) if (h === 2) { n++; if (each) each(s3, e3); }
  return n;
}
function checkSpan(body, start, end) {
  const seen = {};
  for (const [f, w, s, e] of fields(body, start, end)) seen[f] = [w, e - s];
  const ok = seen[1] && seen[1][1] === 16 && seen[2] && seen[2][1] === 8 && seen[5] && seen[5][0] === 2 && seen[7] && seen[7][0] === 1 && seen[8] && seen[8][0] === 1;
  if (!ok) throw new Error('not an OTLP span: fields ' + JSON.stringify(seen));
}
const server = http.createServer((req, res) => {
  if (req.method === 'GET') return res.end(JSON.stringify({ spans, requests, checked, faults, types: [...types] }));
  const protobuf = req.headers['content-type'] === 'application/x-protobuf';
  types.add(req.headers['content-type']);
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    let n = 0;
    try {
      n = protobuf ? protoSpans(body) : countedJson(body);
      if (requests % CHECK_EVERY === 0) {
        checked++;
        const full = protobuf ? protoSpans(body, (s, e) => checkSpan(body, s, e)) : parsedJson(body);
        if (full !== n) faults.push('request ' + (requests + 1) + ': ' + n + ' counted, ' + full + ' spans');
      }
    } catch (error) {
      faults.push('request ' + (requests + 1) + ': ' + error.message);
    }
    requests++;
    spans += n;
    if (protobuf) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

interface SinkCount {
  spans: number;
  requests: number;
  checked: number;
  faults: string[];
  /** The media types of the requests it got. */
  types: string[];
}

async function startSink(): Promise<{ url: string; count(): Promise<SinkCount>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=commonjs', '-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((done, fail) => {
    child.stdout?.once('data', (d: Buffer) => done(d.toString().trim()));
    child.once('exit', (code) => fail(new Error(`the OTLP sink exited ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return { url: `${base}/v1/traces`, child, count: async () => (await (await fetch(`${base}/count`)).json()) as SinkCount };
}

async function serve(config: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((done, fail) => {
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const line = buffered.split('\n').find((l) => l.includes('"airlock listening"'));
      if (line !== undefined) done((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => fail(new Error(`gateway exited ${code}`)));
  });
  child.stdout?.resume();
  return { url, child };
}

/** Decisions the metrics-on gateway has counted (from its /metrics). */
async function countedDecisions(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('airlock_decisions_total{'))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

type Cannon = Awaited<ReturnType<typeof autocannon>>;

export async function run(options: { seconds?: number; connections?: number; rounds?: number; warmup?: number; sampleRatio?: number; protocol?: string } = {}): Promise<HttpBenchResult> {
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 32;
  const rounds = Math.max(1, options.rounds ?? 4);
  const warmup = options.warmup !== undefined && Number.isFinite(options.warmup) ? Math.max(1, options.warmup) : 10;
  const sink = await startSink();
  const sampleRatio = options.sampleRatio ?? 1;
  const protocol = options.protocol ?? 'http/protobuf';
  const onConfig = configFor(sink.url, sampleRatio, protocol);
  const offConfig = configFor(null);
  try {
    return await measureBoth(sink, onConfig, offConfig, { seconds, connections, rounds, warmup, sampleRatio, protocol });
  } finally {
    await stop(sink.child);
    // Each gateway's directory holds its audit log (some 90 MB after a run of `npm run bench`).
    for (const config of [onConfig, offConfig]) rmSync(dirname(config), { recursive: true, force: true });
  }
}

/** Stops a child process and waits (at most 5 s) until it has exited. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise<void>((done) => setTimeout(done, 5_000).unref())]);
}

async function measureBoth(
  sink: Awaited<ReturnType<typeof startSink>>,
  onConfig: string,
  offConfig: string,
  { seconds, connections, rounds, warmup, sampleRatio, protocol }: { seconds: number; connections: number; rounds: number; warmup: number; sampleRatio: number; protocol: string },
): Promise<HttpBenchResult> {
  const token = await output(['token', 'mint', '--config', onConfig, '--sub', 'fin', '--tenant', 'acme', '--roles', 'finance-lead', '--ttl', '3600']);
  const offToken = await output(['token', 'mint', '--config', offConfig, '--sub', 'fin', '--tenant', 'acme', '--roles', 'finance-lead', '--ttl', '3600']);
  const on = await serve(onConfig);
  const off = await serve(offConfig).catch(async (error: unknown) => {
    await Promise.all([stop(on.child), stop(sink.child)]);
    throw error;
  });
  try {
    const request = (bearer: string) => ({
      method: 'POST' as const,
      path: '/v1/decide',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } }),
    });
    const measure = (url: string, bearer: string, duration: number) => autocannon({ url, connections, duration, requests: [request(bearer)] });
    // Warm-up of both, in alternating slices (neither sits idle for long before it is
    // measured), then alternating measured rounds. After a warm-up of 2 s each, the first
    // measured rounds of a gateway still cost up to 40% more CPU per decision than its later
    // ones, and the "on" gateway (more code, more allocation) took longer to settle than the
    // "off" one: a short warm-up measured the JIT and the heap settling, not the steady cost.
    const warmSlice = Math.min(2, warmup);
    for (let done = 0; done < warmup; done += warmSlice) {
      await measure(on.url, token, warmSlice);
      await measure(off.url, offToken, warmSlice);
    }
    const slice = Math.max(1, Math.round(seconds / rounds));
    const onRuns: Cannon[] = [];
    const offRuns: Cannon[] = [];
    let counted = await countedDecisions(on.url);
    const cpu = { on: 0, off: 0, sink: 0, known: true };
    /** CPU µs per request of each round, per side: round i of "on" ran next to round i of "off". */
    const roundCpu: { on: number[]; off: number[] } = { on: [], off: [] };
    /** Runs one round, adding the CPU its gateway (and for "on", the sink) used meanwhile. */
    const timed = async (which: 'on' | 'off', round: () => Promise<Cannon>): Promise<Cannon> => {
      const pid = (which === 'on' ? on : off).child.pid;
      const before = [cpuSeconds(pid), cpuSeconds(sink.child.pid)];
      const r = await round();
      const after = [cpuSeconds(pid), cpuSeconds(sink.child.pid)];
      if (before[0] == null || after[0] == null || before[1] == null || after[1] == null) cpu.known = false;
      else {
        cpu[which] += after[0] - before[0];
        roundCpu[which].push(((after[0] - before[0]) / Math.max(1, r.requests.total)) * 1e6);
        if (which === 'on') cpu.sink += after[1] - before[1];
      }
      return r;
    };
    for (let i = 0; i < rounds; i++) {
      const first = i % 2 === 0 ? 'on' : 'off';
      for (const which of first === 'on' ? ['on', 'off'] : ['off', 'on']) {
        if (which === 'on') {
          const r = await timed('on', () => measure(on.url, token, slice));
          onRuns.push(r);
          const now = await countedDecisions(on.url);
          if (now - counted < r.requests.total) throw new Error(`metrics counted ${now - counted} decisions of ${r.requests.total}`);
          counted = now;
        } else {
          offRuns.push(await timed('off', () => measure(off.url, offToken, slice)));
        }
      }
    }
    const total = (runs: Cannon[]) => runs.reduce((s, r) => s + r.requests.total, 0);
    // Spans leave in batches about a second apart: wait for the last batch, then check them.
    await new Promise((done) => setTimeout(done, 2_500));
    const received = await sink.count();
    const spans = received.spans;
    if (received.faults.length > 0) throw new Error(`the OTLP sink found requests that are not what was counted: ${received.faults.slice(0, 3).join('; ')}`);
    if (received.requests > 0 && received.checked === 0) throw new Error('the OTLP sink parsed no request');
    const mediaType = protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
    if (received.types.some((t) => t !== mediaType)) throw new Error(`the OTLP sink got ${received.types.join(', ')} where ${protocol} was configured`);
    // Every sampled call sends its spans (about a dozen); at ratio 1 every decision (warm-up
    // included, as /metrics counts them) must have sent the same number of spans, none lost.
    const decisions = await countedDecisions(on.url);
    if (spans < total(onRuns) * sampleRatio * 0.5) throw new Error(`the OTLP sink received ${spans} spans for ${total(onRuns)} calls at sample ratio ${sampleRatio}`);
    if (sampleRatio === 1 && (spans % decisions !== 0 || spans / decisions < 2)) throw new Error(`the OTLP sink received ${spans} spans for ${decisions} decisions: not the same number for each`);
    const rate = (runs: Cannon[]) => total(runs) / (runs.length * slice);
    const mean = (runs: Cannon[], pick: (r: Cannon) => number) => runs.reduce((s, r) => s + pick(r), 0) / runs.length;
    const onRate = rate(onRuns);
    const offRate = rate(offRuns);
    const ratio = onRate / offRate;
    const perRequest = (seconds: number, runs: Cannon[]) => Math.round((seconds / total(runs)) * 1e7) / 10;
    // The median over the pairs of adjacent rounds: one round disturbed by other work on the
    // machine moves it less than it moves the totals.
    const pairedMedian = (on: number[], off: number[]) => {
      const costs = on.map((x, i) => x / (off[i] as number) - 1).sort((a, b) => a - b);
      const mid = costs.length / 2;
      const median = costs.length % 2 === 1 ? (costs[Math.floor(mid)] as number) : ((costs[mid - 1] as number) + (costs[mid] as number)) / 2;
      return Math.round(median * 1000) / 10;
    };
    const cpuOn = perRequest(cpu.on, onRuns);
    const cpuOff = perRequest(cpu.off, offRuns);
    return {
      name: 'HTTP POST /v1/decide (loopback, separate gateway process, durable audit, metrics and tracing on)',
      seconds: slice * rounds,
      connections,
      requests: total(onRuns),
      requests_per_s: Math.round(onRate),
      non_2xx: onRuns.reduce((s, r) => s + r.non2xx, 0) + offRuns.reduce((s, r) => s + r.non2xx, 0),
      errors: onRuns.reduce((s, r) => s + r.errors, 0) + offRuns.reduce((s, r) => s + r.errors, 0),
      latency_ms: {
        p50: mean(onRuns, (r) => r.latency.p50),
        p90: mean(onRuns, (r) => r.latency.p90),
        p99: mean(onRuns, (r) => r.latency.p99),
        mean: mean(onRuns, (r) => r.latency.average),
        max: Math.max(...onRuns.map((r) => r.latency.max)),
      },
      metrics: {
        sample_ratio: sampleRatio,
        protocol,
        spans_received: spans,
        sink_requests_parsed: received.checked,
        rounds,
        warmup_s: warmup,
        on_requests_per_s: Math.round(onRate),
        off_requests_per_s: Math.round(offRate),
        ratio: Math.round(ratio * 1000) / 1000,
        cost_percent: Math.round((1 - ratio) * 1000) / 10,
        paired_median_cost_percent: -pairedMedian(onRuns.map((r) => r.requests.total), offRuns.map((r) => r.requests.total)),
        off_latency_ms: { p50: mean(offRuns, (r) => r.latency.p50), p99: mean(offRuns, (r) => r.latency.p99) },
        cpu_us_per_request: cpu.known ? { on: cpuOn, off: cpuOff, cost_percent: Math.round((cpuOn / cpuOff - 1) * 1000) / 10, paired_median_cost_percent: pairedMedian(roundCpu.on, roundCpu.off), sink_on: perRequest(cpu.sink, onRuns) } : null,
      },
    };
  } finally {
    await Promise.all([stop(on.child), stop(off.child), stop(sink.child)]);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' }, rounds: { type: 'string', default: '4' }, warmup: { type: 'string', default: '10' }, 'sample-ratio': { type: 'string', default: '1' }, protocol: { type: 'string', default: 'http/protobuf' } },
  });
  const result = await run({ seconds: Number(values.seconds), connections: Number(values.connections), rounds: Number(values.rounds), warmup: Number(values.warmup), sampleRatio: Number(values['sample-ratio']), protocol: values.protocol });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
