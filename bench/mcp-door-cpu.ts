/**
 * The stdio door's own cost per call, with nothing durable: `airlock mcp` on memory state and
 * memory audit (or, with `--audit sqlite` / `--state sqlite`, durable ones) in front of the conformance fixture, one `tools/call` at a time, beside the
 * fixture called directly. With `--baseline DIR` the door of another checkout runs too; the
 * paths take turns in blocks of 50 calls, so drift on a shared machine hits all of them.
 *
 * Per door: added latency (p50 over the direct call) and the CPU time of the door process per
 * call (user and system, from /proc, counted over the measured calls only; the upstream's own
 * process is not included). `--prof DIR` writes a CPU profile of each door (`--cpu-prof`).
 * With `--audit sqlite`, where each door's phases end (median µs from the call's start, from
 * the `phase_timings` of its result events; profiles of the door are distorted by the time it
 * spends blocked in writes, these are not). `--keep` keeps each door's directory (config,
 * databases) and names it.
 *
 *   node bench/mcp-door-cpu.ts [--calls 3000] [--baseline DIR] [--prof DIR] [--audit memory|sqlite] [--state memory|sqlite] [--keep]
 */
import { readFileSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { NODE, ROOT, SERVERS, mcpTestEnv, stdioUpstream } from '../test/mcp/support.ts';
import { summarize } from './stats.ts';

const { values } = parseArgs({ options: { calls: { type: 'string' }, baseline: { type: 'string' }, prof: { type: 'string' }, audit: { type: 'string' }, state: { type: 'string' }, keep: { type: 'boolean' } } });
const storeKind = (value: string | undefined, what: string): 'memory' | 'sqlite' => {
  if (value === undefined || value === 'memory' || value === 'sqlite') return value ?? 'memory';
  throw new Error(`--${what} is memory or sqlite, not ${value}`);
};
const audit = storeKind(values.audit, 'audit');
const state = storeKind(values.state, 'state');
const calls = Number(values.calls ?? 3000);
const trees: Array<[string, string]> = [['this', ROOT], ...(values.baseline === undefined ? [] : [['baseline', values.baseline] as [string, string]])];

const policies = { 'all.cedar': readFileSync(join(ROOT, 'test/mcp/conformance/policies.cedar'), 'utf8') };
const upstream = stdioUpstream('conf', SERVERS.conformance, { namespace: 'none', approval: 'first_use', side_effect: 'read' });

interface Path {
  name: string;
  client: Client;
  tool: string;
  pid: number | null;
  samples: number[];
  cpu: { user: number; system: number };
}

/** utime and stime of a process, in clock ticks (100 per second). */
function cpuTicks(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

async function open(name: string, command: string, args: string[], env?: Record<string, string>): Promise<Path> {
  const transport = new StdioClientTransport({ command, args, ...(env === undefined ? {} : { env }), stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  const tool = (await client.listTools()).tools.map((t) => t.name).find((n) => n.endsWith('test_simple_text'));
  if (tool === undefined) throw new Error(`${name} lists no test_simple_text`);
  return { name, client, tool, pid: transport.pid, samples: [], cpu: { user: 0, system: 0 } };
}

async function call(path: Path): Promise<number> {
  const started = performance.now();
  const result = await path.client.callTool({ name: path.tool, arguments: {} });
  if (result.isError === true) throw new Error(`${path.name}: ${JSON.stringify(result.content)}`);
  return (performance.now() - started) * 1000;
}

const paths: Path[] = [await open('direct', NODE, [SERVERS.conformance])];
/** Each door's directory (config, keys, databases), removed at the end. */
const dirs: string[] = [];
for (const [name, dir] of trees) {
  const env = await mcpTestEnv({ mcp: { upstreams: [upstream] }, policies, audit, state });
  dirs.push(env.dir);
  const token = await env.token({ sub: 'bench', roles: ['conformance'] });
  const prof = values.prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(values.prof, name)];
  paths.push(await open(name, NODE, [...prof, join(dir, 'src/cli/main.ts'), 'mcp', '--config', env.configPath], { AIRLOCK_TOKEN: token }));
}
for (const path of paths) for (let i = 0; i < 200; i++) await call(path);
const block = 50;
for (let done = 0; done < calls; done += block) {
  for (const path of paths) {
    const before = path.pid === null ? null : cpuTicks(path.pid);
    for (let i = 0; i < block; i++) path.samples.push(await call(path));
    if (before !== null && path.pid !== null) {
      const after = cpuTicks(path.pid);
      path.cpu.user += after.user - before.user;
      path.cpu.system += after.system - before.system;
    }
  }
}
/** Median end of each phase (µs from the call's start) over a door's measured calls, in the order they end. */
function phaseEnds(dir: string, measured: number): Record<string, number> {
  const db = new DatabaseSync(join(dir, 'audit.db'), { readOnly: true });
  try {
    const rows = db.prepare("SELECT body FROM events WHERE type = 'result' ORDER BY seq DESC LIMIT ?").all(measured) as Array<{ body: string }>;
    const ends = new Map<string, number[]>();
    for (const { body } of rows) {
      for (const [phase, at] of Object.entries((JSON.parse(body) as { phase_timings?: Record<string, number> }).phase_timings ?? {})) {
        const list = ends.get(phase);
        if (list === undefined) ends.set(phase, [at]);
        else list.push(at);
      }
    }
    const medians = [...ends].map(([phase, at]) => [phase, summarize(at).p50_us] as const);
    return Object.fromEntries(medians.sort((a, b) => a[1] - b[1]));
  } finally {
    db.close();
  }
}

const [directPath, ...doors] = paths as [Path, ...Path[]];
const direct = summarize(directPath.samples);
const rows = doors.map((p, index) => {
  const s = summarize(p.samples);
  const perCall = (ticks: number) => Math.round((ticks * 10_000) / p.samples.length);
  const dir = dirs[index] as string;
  return {
    door: p.name,
    calls: p.samples.length,
    p50_us: s.p50_us,
    added_p50_us: Math.round(s.p50_us - direct.p50_us),
    cpu_us_per_call: perCall(p.cpu.user + p.cpu.system),
    user_us: perCall(p.cpu.user),
    system_us: perCall(p.cpu.system),
    ...(audit === 'sqlite' ? { phase_end_p50_us: phaseEnds(dir, p.samples.length) } : {}),
    ...(values.keep === true ? { dir } : {}),
  };
});
console.log(JSON.stringify({ audit, state, direct_p50_us: direct.p50_us, doors: rows }, null, 1));
for (const path of paths) await path.client.close();
if (values.keep !== true) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
