/**
 * Added latency of the MCP gateway on `tools/call`: the same upstream tool called directly
 * and through the gateway, with the official SDK client, one call at a time (latency, not
 * throughput), durable SQLite audit on (intent committed before the upstream is called,
 * result after).
 *
 * - stdio: client -> upstream (child process) vs. client -> `airlock mcp` (child process)
 *   -> upstream (its child process).
 * - HTTP: client -> upstream over streamable HTTP vs. client -> `airlock serve` /mcp (its
 *   own process) -> the same upstream over streamable HTTP.
 *
 * Direct and gateway calls alternate in blocks so drift on the shared machine hits both.
 * The upstream is the conformance fixture's `test_simple_text` (no arguments, constant text).
 *
 * Where the gateway's time goes is read back from its own audit log afterwards: every
 * result event carries the pipeline's phase timings, so the medians of the phases before
 * the intent, the durable intent commit, the upstream round trip and inspection are those
 * of the very calls measured (no instrumentation in the gateway). The result event's own
 * commit is not in its timings; it writes an event of the same size as the intent's.
 * Figures: docs/mcp.md, section Latency.
 *
 *   node bench/mcp.bench.ts [--calls 2000]
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { NODE, ROOT, SERVERS, mcpTestEnv, stdioUpstream } from '../test/mcp/support.ts';
import { readAll } from '../src/audit/index.ts';
import { SqliteAuditStore } from '../src/stores/sqlite/index.ts';
import { percentile, summarize } from './stats.ts';
import type { LatencySummary } from './stats.ts';

const CLI = join(ROOT, 'src/cli/main.ts');
const TOOL = 'test_simple_text';

export interface McpPathResult {
  direct: LatencySummary;
  gateway: LatencySummary;
  /** Gateway minus direct, at the median and at p99 (µs). */
  added_p50_us: number;
  added_p99_us: number;
  /** Gateway over direct, at the median and at p99. */
  ratio_p50: number;
  ratio_p99: number;
  /** Medians (µs) of the gateway's own phase timings for the measured calls, from its audit log. */
  inside: GatewayBreakdown;
}

export interface GatewayBreakdown {
  calls: number;
  /** identify … credential: everything before the intent is written. */
  before_intent_us: number;
  /** record_intent: the intent event, committed and fsync'd. */
  intent_commit_us: number;
  /** execute: the upstream round trip, from the gateway's side. */
  upstream_us: number;
  inspect_us: number;
}

export interface McpBenchResult {
  name: string;
  calls: number;
  stdio: McpPathResult;
  http: McpPathResult;
}

async function connect(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Client> {
  const client = new Client({ name: 'airlock-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function call(client: Client): Promise<number> {
  const started = performance.now();
  const result = await client.callTool({ name: TOOL, arguments: {} });
  if (result.isError === true) throw new Error(`call failed: ${JSON.stringify(result.content)}`);
  return (performance.now() - started) * 1000;
}

/** The phase timings of the last `calls` result events of TOOL in the gateway's audit log. */
async function breakdown(auditPath: string, calls: number): Promise<GatewayBreakdown> {
  const store = SqliteAuditStore.open(auditPath, { readOnly: true });
  try {
    const timings: Array<Record<string, number>> = [];
    for await (const event of readAll(store)) {
      if (event.type === 'result' && event.tool === TOOL && event.phase_timings !== undefined) timings.push(event.phase_timings);
    }
    const measured = timings.slice(-calls);
    const span = (from: string | null, to: string) =>
      percentile(
        measured
          .map((t) => (t[to] ?? NaN) - (from === null ? 0 : (t[from] ?? NaN)))
          .filter(Number.isFinite)
          .sort((a, b) => a - b),
        50,
      );
    return {
      calls: measured.length,
      before_intent_us: span(null, 'credential'),
      intent_commit_us: span('credential', 'record_intent'),
      upstream_us: span('record_intent', 'execute'),
      inspect_us: span('execute', 'inspect'),
    };
  } finally {
    await store.close();
  }
}

/** Alternating blocks of direct and gateway calls; warm-up first. */
async function compare(direct: Client, gateway: Client, calls: number, auditPath: string): Promise<McpPathResult> {
  for (let i = 0; i < 200; i++) {
    await call(direct);
    await call(gateway);
  }
  const a: number[] = [];
  const b: number[] = [];
  const block = 100;
  for (let done = 0; done < calls; done += block) {
    for (let i = 0; i < block; i++) a.push(await call(direct));
    for (let i = 0; i < block; i++) b.push(await call(gateway));
  }
  const d = summarize(a);
  const g = summarize(b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    direct: d,
    gateway: g,
    added_p50_us: round(g.p50_us - d.p50_us),
    added_p99_us: round(g.p99_us - d.p99_us),
    ratio_p50: round(g.p50_us / d.p50_us),
    ratio_p99: round(g.p99_us / d.p99_us),
    inside: await breakdown(auditPath, calls),
  };
}

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', match: (line: string) => string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child[stream]?.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (const line of buffered.split('\n')) {
        const found = match(line);
        if (found !== null) resolve(found);
      }
    });
    child.once('exit', (code) => reject(new Error(`process exited ${code}: ${buffered.slice(-500)}`)));
  });
}

async function fixtureOverHttp(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(NODE, [SERVERS.conformance, '--http', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await waitForLine(child, 'stdout', (line) => (line.startsWith('{"port"') ? String((JSON.parse(line) as { port: number }).port) : null));
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

export async function run(options: { calls?: number } = {}): Promise<McpBenchResult> {
  const calls = options.calls ?? 2000;
  const policies = { 'all.cedar': readFileSync(join(ROOT, 'test/mcp/conformance/policies.cedar'), 'utf8') };
  const upstreamSettings = { namespace: 'none', approval: 'first_use', side_effect: 'read' };
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  try {
    // stdio: the door is `airlock mcp`, its upstream the fixture over stdio.
    const stdioEnv = await mcpTestEnv({ mcp: { upstreams: [stdioUpstream('conf', SERVERS.conformance, upstreamSettings)] }, policies });
    const token = await stdioEnv.token({ sub: 'bench', roles: ['conformance'] });
    const directStdio = await connect(new StdioClientTransport({ command: NODE, args: [SERVERS.conformance], stderr: 'ignore' }));
    const viaStdio = await connect(new StdioClientTransport({ command: NODE, args: [CLI, 'mcp', '--config', stdioEnv.configPath], env: { AIRLOCK_TOKEN: token }, stderr: 'ignore' }));
    clients.push(directStdio, viaStdio);
    const stdio = await compare(directStdio, viaStdio, calls, join(stdioEnv.dir, 'audit.db'));

    // HTTP: the door is /mcp of `airlock serve` (own process), its upstream the fixture over HTTP.
    const upstream = await fixtureOverHttp();
    children.push(upstream.child);
    // The upstream runs on loopback: named in its egress list (nothing is reachable otherwise).
    const egress = [{ id: 'conformance-upstream', host: '127.0.0.1', ports: [Number(new URL(upstream.url).port)], schemes: ['http'] }];
    const httpEnv = await mcpTestEnv({ mcp: { upstreams: [{ prefix: 'conf', url: upstream.url, egress, ...upstreamSettings }] }, policies });
    const gatewayProcess = spawn(NODE, [CLI, 'serve', '--config', httpEnv.configPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(gatewayProcess);
    const url = await waitForLine(gatewayProcess, 'stdout', (line) => (line.includes('"airlock listening"') ? (JSON.parse(line) as { url: string }).url : null));
    gatewayProcess.stdout?.resume();
    const httpToken = await httpEnv.token({ sub: 'bench', roles: ['conformance'] });
    const directHttp = await connect(new StreamableHTTPClientTransport(new URL(upstream.url)));
    const viaHttp = await connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${httpToken}` } } }));
    clients.push(directHttp, viaHttp);
    const http = await compare(directHttp, viaHttp, calls, join(httpEnv.dir, 'audit.db'));

    return { name: 'MCP tools/call through the gateway vs. direct (durable SQLite audit, one call at a time)', calls, stdio, http };
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    for (const child of children) child.kill('SIGTERM');
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { calls: { type: 'string', default: '2000' } } });
  const result = await run({ calls: Number(values.calls) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
