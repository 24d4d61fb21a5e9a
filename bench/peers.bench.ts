/**
 * The doors beside their peers and floors, measured in one run on this machine (its two
 * cores are shared, so every comparison alternates rounds or blocks and reports a ratio):
 *
 * - decide: `POST /v1/decide` of `airlock serve` (own process, durable SQLite audit with
 *   signed checkpoints, metrics on; every decision acknowledged after its own commit) beside
 *   a bare hono + @hono/node-server endpoint that verifies an HS256 bearer token with jose
 *   `jwtVerify` and parses the JSON body (own process), autocannon at 32 connections,
 *   alternating rounds. Target: >= 0.55x the peer's throughput, gateway p99 <= 5 ms.
 * - commit floor: one durable append (WAL, synchronous=FULL, fsync) of an event of a call's
 *   size on this disk, committed on the calling thread one at a time; an MCP call costs two.
 * - mcp: one `tools/call` at a time to the conformance fixture (a stdio server): directly
 *   over stdio, through `airlock mcp` (stdio door), through `airlock serve` /mcp (HTTP in,
 *   stdio upstream), through supergateway and mcp-proxy (stdio upstream behind streamable
 *   HTTP, the same calls relayed without any check or record). Blocks of calls alternate
 *   between all five; the figure is the median added over calling the fixture directly.
 *   Targets: stdio door added <= two commits + 0.25 ms; /mcp added <= supergateway's + two commits.
 * - execute: the in-process `execute` path at 64 in flight beside the floor of
 *   group-committed, hash-chained appends of the same two events per call at the same
 *   concurrency (bench/audit.bench.ts, split mode), alternating rounds. Target >= 0.75x.
 *
 *   node bench/peers.bench.ts [--quick] [--only decide,mcp,execute] [--baseline DIR]   (or npm run bench -- --only peers)
 *
 * `--baseline DIR` runs the gateway of another checkout (e.g. `git worktree add DIR <commit>`,
 * with its node_modules) beside this one in the same decide rounds: a before/after comparison
 * that the machine's drift falls on equally.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI_MAIN, REPO_ROOT, writeDemoConfig } from '../scripts/demo-config.ts';
import { NODE, SERVERS, mcpTestEnv, stdioUpstream } from '../test/mcp/support.ts';
import { SqliteAuditStore } from '../src/stores/sqlite/index.ts';
import { callEvents, run as runAudit } from './audit.bench.ts';
import { run as runExecute } from './execute.bench.ts';
import { summarize } from './stats.ts';
import type { LatencySummary } from './stats.ts';

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

export interface PeersBenchResult {
  name: string;
  decide: {
    connections: number;
    rounds: number;
    gateway: { requests_per_s: number; p50_ms: number; p99_ms: number; non_2xx: number; errors: number; cpu_us_per_request: number | null };
    peer: { requests_per_s: number; p50_ms: number; p99_ms: number; non_2xx: number; errors: number; cpu_us_per_request: number | null };
    ratio: number;
    /** Gateway CPU per request over the peer's (all threads of each process; Linux /proc only). */
    cpu_ratio: number | null;
    /** With --baseline DIR: the gateway of that checkout, measured in the same rounds. */
    baseline?: { root: string; requests_per_s: number; p50_ms: number; p99_ms: number; non_2xx: number; errors: number; cpu_us_per_request: number | null; ratio: number; cpu_ratio: number | null };
  };
  commit_floor: { commits: number; p50_us: number; p99_us: number; two_commits_us: number };
  mcp: {
    calls_per_path: number;
    direct: LatencySummary;
    /** Median added over the direct call (µs), per path. */
    added_p50_us: Record<'stdio_door' | 'http_door' | 'supergateway' | 'mcp_proxy', number>;
    added_p99_us: Record<'stdio_door' | 'http_door' | 'supergateway' | 'mcp_proxy', number>;
    /** stdio door added minus (two commits + 250 µs): <= 0 meets the target. */
    stdio_margin_us: number;
    /** /mcp added minus (supergateway added + two commits): <= 0 meets the target. */
    http_margin_us: number;
  };
  execute: { rounds: number; concurrency: number; execute_calls_per_s: number; floor_calls_per_s: number; ratio: number; execute_events_per_commit: number; floor_events_per_commit: number };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, stream: 'stdout' | 'stderr', match: (line: string) => string | null): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer) => {
      buffered += d.toString();
      for (const line of buffered.split('\n')) {
        const found = match(line);
        if (found !== null) {
          child[stream]?.off('data', onData);
          child[stream]?.resume();
          resolve(found);
          return;
        }
      }
    };
    child[stream]?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited ${code}: ${buffered.slice(-500)}`)));
  });
}

/** Retries `connect` until the server behind `url` answers (peers that print nothing when ready). */
async function until<T>(attempt: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function cli(args: string[], main = CLI_MAIN): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, [main, ...args]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? done(out.trim()) : fail(new Error(`airlock ${args[0]} exited ${code}`))));
  });
}

/**
 * The peer of /v1/decide: hono on @hono/node-server, jose `jwtVerify` of an HS256 bearer token
 * (issuer, audience, expiry checked), the JSON body parsed, a small JSON answer.
 */
const HONO_PEER = `
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { SignJWT, jwtVerify } from 'jose';
const key = new Uint8Array(Buffer.from(process.argv[1], 'hex'));
const app = new Hono();
app.post('/v1/decide', async (c) => {
  const header = c.req.header('authorization') ?? '';
  if (!header.startsWith('Bearer ')) return c.json({ error: 'unauthorized' }, 401);
  try {
    await jwtVerify(header.slice(7), key, { issuer: 'peer', audience: 'airlock', algorithms: ['HS256'] });
  } catch {
    return c.json({ error: 'unauthorized' }, 401);
  }
  const body = await c.req.json();
  return c.json({ decision: { outcome: 'allow', tool: body.tool } });
});
const token = await new SignJWT({ tenant: 'acme' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('peer').setAudience('airlock').setSubject('fin').setIssuedAt().setExpirationTime('2h').sign(key);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.stdout.write(JSON.stringify({ port: info.port, token }) + '\\n'));
`;

type Cannon = Awaited<ReturnType<typeof autocannon>>;

/**
 * CPU time (user + system, every thread) a process has used, in microseconds, from /proc (null
 * elsewhere). Per request it is steadier than throughput on a machine whose cores are shared.
 */
function cpuMicros(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1e6) / 100 : null; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Temporary directories of this run (configs, logs, state), removed when the run ends. */
const scratch: string[] = [];
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** `airlock serve` of the checkout at `root` (its own demo config and data), and a token for it. */
async function startGateway(root: string, children: ChildProcess[]): Promise<{ url: string; token: string; pid: number | undefined }> {
  const main = join(root, 'src', 'cli', 'main.ts');
  // The checkout's own demo config (its policies and handlers).
  const write = root === REPO_ROOT ? writeDemoConfig : ((await import(pathToFileURL(join(root, 'scripts', 'demo-config.ts')).href)) as { writeDemoConfig: typeof writeDemoConfig }).writeDemoConfig;
  const config = write(scratchDir('airlock-peers-decide-'), { limits: false });
  const token = await cli(['token', 'mint', '--config', config, '--sub', 'fin', '--tenant', 'acme', '--roles', 'finance-lead', '--ttl', '3600'], main);
  const gateway = spawn(NODE, [main, 'serve', '--config', config, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(gateway);
  const url = await waitForLine(gateway, 'stdout', (line) => (line.includes('"airlock listening"') ? (JSON.parse(line) as { url: string }).url : null));
  return { url, token, pid: gateway.pid };
}

type DecideFigures = PeersBenchResult['decide']['gateway'];

/**
 * /v1/decide of this checkout beside the peer, and beside the gateway of another checkout
 * (`baseline`, e.g. a `git worktree` of an earlier commit) when given: the sides take turns,
 * round by round, each round starting with the next side.
 */
async function decide(options: { seconds: number; rounds: number; connections: number; baseline?: string }, children: ChildProcess[]): Promise<PeersBenchResult['decide']> {
  const gateway = await startGateway(REPO_ROOT, children);
  const baseline = options.baseline === undefined ? null : await startGateway(options.baseline, children);
  const peer = spawn(NODE, ['--input-type=module', '-e', HONO_PEER, randomBytes(32).toString('hex')], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(peer);
  const peerInfo = JSON.parse(await waitForLine(peer, 'stdout', (line) => (line.startsWith('{"port"') ? line : null))) as { port: number; token: string };
  const body = JSON.stringify({ tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } });
  const sides = [
    { name: 'gateway', url: gateway.url, token: gateway.token, pid: gateway.pid },
    ...(baseline === null ? [] : [{ name: 'baseline', url: baseline.url, token: baseline.token, pid: baseline.pid }]),
    { name: 'peer', url: `http://127.0.0.1:${peerInfo.port}`, token: peerInfo.token, pid: peer.pid },
  ].map((side) => ({ ...side, runs: [] as Cannon[], cpu: 0 as number | null }));
  const measure = (side: (typeof sides)[number], duration: number) =>
    autocannon({ url: side.url, connections: options.connections, duration, requests: [{ method: 'POST', path: '/v1/decide', headers: { authorization: `Bearer ${side.token}`, 'content-type': 'application/json' }, body }] });
  // Warm-up of each (JIT, Cedar slices, SQLite pages), then measured rounds in turn.
  for (const side of sides) await measure(side, 2);
  for (let i = 0; i < options.rounds; i++) {
    for (let j = 0; j < sides.length; j++) {
      const side = sides[(i + j) % sides.length] as (typeof sides)[number];
      const before = cpuMicros(side.pid);
      side.runs.push(await measure(side, options.seconds));
      const after = cpuMicros(side.pid);
      side.cpu = before === null || after === null || side.cpu === null ? null : side.cpu + (after - before);
    }
  }
  const figures = (side: (typeof sides)[number]): DecideFigures => {
    const total = side.runs.reduce((s, r) => s + r.requests.total, 0);
    return {
      requests_per_s: Math.round(total / (side.runs.length * options.seconds)),
      p50_ms: round2(side.runs.reduce((s, r) => s + r.latency.p50, 0) / side.runs.length),
      p99_ms: round2(side.runs.reduce((s, r) => s + r.latency.p99, 0) / side.runs.length),
      non_2xx: side.runs.reduce((s, r) => s + r.non2xx, 0),
      errors: side.runs.reduce((s, r) => s + r.errors, 0),
      cpu_us_per_request: side.cpu === null ? null : Math.round(side.cpu / Math.max(1, total)),
    };
  };
  const [g, b, p] = [figures(sides[0] as (typeof sides)[number]), baseline === null ? null : figures(sides[1] as (typeof sides)[number]), figures(sides.at(-1) as (typeof sides)[number])];
  if (g.non_2xx > 0 || p.non_2xx > 0 || (b?.non_2xx ?? 0) > 0) throw new Error(`non-2xx answers: gateway ${g.non_2xx}, baseline ${b?.non_2xx ?? 0}, peer ${p.non_2xx}`);
  const cpuRatio = (x: DecideFigures) => (x.cpu_us_per_request === null || p.cpu_us_per_request === null ? null : round2(x.cpu_us_per_request / p.cpu_us_per_request));
  return {
    connections: options.connections,
    rounds: options.rounds,
    gateway: g,
    peer: p,
    ratio: round3(g.requests_per_s / p.requests_per_s),
    cpu_ratio: cpuRatio(g),
    ...(b === null ? {} : { baseline: { root: options.baseline as string, ...b, ratio: round3(b.requests_per_s / p.requests_per_s), cpu_ratio: cpuRatio(b) } }),
  };
}

/** One durable commit on this disk: a call-sized event appended and fsync'd on the calling thread, one at a time. */
async function commitFloor(commits: number): Promise<PeersBenchResult['commit_floor']> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-peers-floor-'));
  const store = SqliteAuditStore.open(join(dir, 'audit.db'), { writer: 'inline', checkpointKey: randomBytes(32) });
  const samples: number[] = [];
  try {
    for (let i = 0; i < commits + 50; i++) {
      const started = performance.now();
      await store.append([callEvents(0, i)[0]]);
      if (i >= 50) samples.push((performance.now() - started) * 1000);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const s = summarize(samples);
  return { commits, p50_us: s.p50_us, p99_us: s.p99_us, two_commits_us: round2(2 * s.p50_us) };
}

async function connect(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<Client> {
  const client = new Client({ name: 'airlock-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function timedCall(client: Client): Promise<number> {
  const started = performance.now();
  const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
  if (result.isError === true) throw new Error(`call failed: ${JSON.stringify(result.content)}`);
  return (performance.now() - started) * 1000;
}

async function prefixedCall(client: Client, name: string): Promise<number> {
  const started = performance.now();
  const result = await client.callTool({ name, arguments: {} });
  if (result.isError === true) throw new Error(`call failed: ${JSON.stringify(result.content)}`);
  return (performance.now() - started) * 1000;
}

async function mcp(calls: number, floor: PeersBenchResult['commit_floor'], children: ChildProcess[], clients: Client[]): Promise<PeersBenchResult['mcp']> {
  const policies = { 'all.cedar': readFileSync(join(REPO_ROOT, 'test/mcp/conformance/policies.cedar'), 'utf8') };
  const upstream = stdioUpstream('conf', SERVERS.conformance, { namespace: 'none', approval: 'first_use', side_effect: 'read' });
  // Each door its own environment (its own audit log and state): two processes appending to one
  // log would wait for each other's write lock.
  const env = await mcpTestEnv({ mcp: { upstreams: [upstream] }, policies });
  scratch.push(env.dir);
  const token = await env.token({ sub: 'bench', roles: ['conformance'] });
  const httpEnv = await mcpTestEnv({ mcp: { upstreams: [upstream] }, policies });
  scratch.push(httpEnv.dir);
  const httpToken = await httpEnv.token({ sub: 'bench', roles: ['conformance'] });

  const direct = await connect(new StdioClientTransport({ command: NODE, args: [SERVERS.conformance], stderr: 'ignore' }));
  clients.push(direct);
  const stdioDoor = await connect(new StdioClientTransport({ command: NODE, args: [CLI_MAIN, 'mcp', '--config', env.configPath], env: { AIRLOCK_TOKEN: token }, stderr: 'ignore' }));
  clients.push(stdioDoor);

  const gateway = spawn(NODE, [CLI_MAIN, 'serve', '--config', httpEnv.configPath, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(gateway);
  const gatewayUrl = await waitForLine(gateway, 'stdout', (line) => (line.includes('"airlock listening"') ? (JSON.parse(line) as { url: string }).url : null));
  const httpDoor = await connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${httpToken}` } } }));
  clients.push(httpDoor);

  const superPort = await freePort();
  const superChild = spawn(
    NODE,
    [join(REPO_ROOT, 'node_modules/supergateway/dist/index.js'), '--stdio', `${NODE} ${SERVERS.conformance}`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(superPort), '--logLevel', 'none'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(superChild);
  const supergateway = await until(() => connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${superPort}/mcp`))));
  clients.push(supergateway);

  const proxyPort = await freePort();
  const proxyChild = spawn(NODE, [join(REPO_ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs'), '--port', String(proxyPort), '--host', '127.0.0.1', '--server', 'stream', '--', NODE, SERVERS.conformance], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(proxyChild);
  const mcpProxy = await until(() => connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${proxyPort}/mcp`))));
  clients.push(mcpProxy);

  // The gateway's name of the tool (its upstream's prefix).
  const listed = await stdioDoor.listTools();
  const gatewayName = listed.tools.map((t) => t.name).find((n) => n.endsWith('test_simple_text'));
  if (gatewayName === undefined) throw new Error('the gateway lists no test_simple_text');

  const paths = {
    direct: () => timedCall(direct),
    stdio_door: () => prefixedCall(stdioDoor, gatewayName),
    http_door: () => prefixedCall(httpDoor, gatewayName),
    supergateway: () => timedCall(supergateway),
    mcp_proxy: () => timedCall(mcpProxy),
  };
  const samples: Record<keyof typeof paths, number[]> = { direct: [], stdio_door: [], http_door: [], supergateway: [], mcp_proxy: [] };
  for (const path of Object.values(paths)) for (let i = 0; i < 100; i++) await path();
  const block = 50;
  for (let done = 0; done < calls; done += block) {
    for (const [name, path] of Object.entries(paths) as Array<[keyof typeof paths, () => Promise<number>]>) {
      for (let i = 0; i < block; i++) samples[name].push(await path());
    }
  }
  const d = summarize(samples.direct);
  const others = ['stdio_door', 'http_door', 'supergateway', 'mcp_proxy'] as const;
  const summaries = Object.fromEntries(others.map((k) => [k, summarize(samples[k])])) as Record<(typeof others)[number], LatencySummary>;
  const added_p50_us = Object.fromEntries(others.map((k) => [k, round2(summaries[k].p50_us - d.p50_us)])) as PeersBenchResult['mcp']['added_p50_us'];
  const added_p99_us = Object.fromEntries(others.map((k) => [k, round2(summaries[k].p99_us - d.p99_us)])) as PeersBenchResult['mcp']['added_p99_us'];
  return {
    calls_per_path: samples.direct.length,
    direct: d,
    added_p50_us,
    added_p99_us,
    stdio_margin_us: round2(added_p50_us.stdio_door - (floor.two_commits_us + 250)),
    http_margin_us: round2(added_p50_us.http_door - (added_p50_us.supergateway + floor.two_commits_us)),
  };
}

async function execute(options: { seconds: number; rounds: number; concurrency: number }): Promise<PeersBenchResult['execute']> {
  const exec: Array<{ calls: number; seconds: number; epc: number }> = [];
  const floor: Array<{ calls: number; seconds: number; epc: number }> = [];
  // The floor makes as many calls as execute did in its previous round (about the same time).
  let floorCalls = 4_000;
  for (let i = 0; i < options.rounds; i++) {
    const e = await runExecute({ seconds: options.seconds, concurrency: options.concurrency });
    exec.push({ calls: e.calls, seconds: e.seconds, epc: e.events_per_commit });
    floorCalls = Math.max(2_000, e.calls);
    const f = await runAudit({ calls: floorCalls, producers: options.concurrency, mode: 'split', verify: false, warmupCalls: 500 });
    floor.push({ calls: f.calls, seconds: f.seconds, epc: f.batches.mean_events });
  }
  const rate = (runs: typeof exec) => runs.reduce((s, r) => s + r.calls, 0) / runs.reduce((s, r) => s + r.seconds, 0);
  const mean = (runs: typeof exec) => round2(runs.reduce((s, r) => s + r.epc, 0) / runs.length);
  return {
    rounds: options.rounds,
    concurrency: options.concurrency,
    execute_calls_per_s: Math.round(rate(exec)),
    floor_calls_per_s: Math.round(rate(floor)),
    ratio: round3(rate(exec) / rate(floor)),
    execute_events_per_commit: mean(exec),
    floor_events_per_commit: mean(floor),
  };
}

export async function run(options: { quick?: boolean; only?: ReadonlyArray<'decide' | 'mcp' | 'execute'>; baseline?: string } = {}): Promise<PeersBenchResult> {
  const quick = options.quick === true;
  const parts = new Set(options.only ?? ['decide', 'mcp', 'execute']);
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  const empty = { requests_per_s: 0, p50_ms: 0, p99_ms: 0, non_2xx: 0, errors: 0, cpu_us_per_request: null };
  try {
    const decideResult = parts.has('decide') ? await decide({ seconds: quick ? 2 : 3, rounds: quick ? 2 : 4, connections: 32, ...(options.baseline === undefined ? {} : { baseline: options.baseline }) }, children) : { connections: 32, rounds: 0, gateway: empty, peer: empty, ratio: 0, cpu_ratio: null };
    for (const child of children.splice(0)) child.kill('SIGTERM');
    const floor = await commitFloor(quick ? 300 : 1000);
    const mcpResult = parts.has('mcp')
      ? await mcp(quick ? 300 : 1000, floor, children, clients)
      : { calls_per_path: 0, direct: summarize([]), added_p50_us: { stdio_door: 0, http_door: 0, supergateway: 0, mcp_proxy: 0 }, added_p99_us: { stdio_door: 0, http_door: 0, supergateway: 0, mcp_proxy: 0 }, stdio_margin_us: 0, http_margin_us: 0 };
    for (const client of clients.splice(0)) await client.close().catch(() => undefined);
    for (const child of children.splice(0)) child.kill('SIGTERM');
    const executeResult = parts.has('execute')
      ? await execute({ seconds: quick ? 2 : 4, rounds: quick ? 2 : 3, concurrency: 64 })
      : { rounds: 0, concurrency: 64, execute_calls_per_s: 0, floor_calls_per_s: 0, ratio: 0, execute_events_per_commit: 0, floor_events_per_commit: 0 };
    return { name: 'doors beside peers and floors (one run, alternating)', decide: decideResult, commit_floor: floor, mcp: mcpResult, execute: executeResult };
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
    for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' }, baseline: { type: 'string' } } });
  const only = values.only === undefined ? undefined : (values.only.split(',') as Array<'decide' | 'mcp' | 'execute'>);
  process.stdout.write(`${JSON.stringify(await run({ quick: values.quick === true, ...(only === undefined ? {} : { only }), ...(values.baseline === undefined ? {} : { baseline: values.baseline }) }), null, 2)}\n`);
}
