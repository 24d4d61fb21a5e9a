/**
 * Benchmark of a gateway fleet on PostgreSQL (state and audit in one schema, Redis beside it):
 *
 * 1. Throughput, twice: with the call of the SQLite execute row (a finance lead's
 *    crm.getCustomer, no session: like with like), then with an agent in a session (below).
 *    `replicas` gateway replicas (default 2), each in a worker thread of its own
 *    (truly parallel, separate pools and caches) on the one fleet config, each driving
 *    `concurrency` concurrent allowed `execute` calls (crm.getCustomer by a support agent in
 *    a session on the customer's ticket: token, session, provenance, activity, Cedar, the
 *    intent committed before the tool runs, the result after) for `seconds`. Calls/s summed
 *    over the replicas, p50/p99 over every call.
 * 2. Latency, PostgreSQL vs SQLite: one in-process replica on the fleet config and one on the
 *    SQLite demo config, the same load (`latencyConcurrency` in flight, same call), measured in
 *    alternating rounds so both see the same machine; `decide` and `execute` p50/p99 of each and
 *    the ratio PostgreSQL/SQLite (the machine is shared: the ratio is the figure to compare).
 *
 *   node bench/fleet.bench.ts [--seconds 10] [--concurrency 64] [--replicas 2] [--latency-seconds 8]
 *
 * Needs PostgreSQL and Redis (AIRLOCK_TEST_POSTGRES_URL / AIRLOCK_TEST_REDIS_URL, defaults on
 * 127.0.0.1); the run makes a schema and key prefix of its own and drops them.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { SupportDesk } from '../examples/support-desk/handlers.ts';
import type { Gateway } from '../src/pipeline/index.ts';
import { createGateway, mintToken } from '../src/pipeline/index.ts';
import { fleetSetup } from '../test/support/fleet.ts';
import { startDemo } from '../test/support/demo.ts';
import type { ReplicaData, ReplicaMessage } from './fleet-replica.ts';
import { BenchSessions } from './fleet-sessions.ts';
import { percentile } from './stats.ts';

export interface LatencyPair {
  p50_us: number;
  p99_us: number;
  calls: number;
}

export interface FleetBenchResult {
  name: string;
  /** The call of the SQLite execute row (no session), on the fleet. */
  plain: FleetBenchResult['throughput'];
  throughput: {
    replicas: number;
    concurrency_per_replica: number;
    seconds: number;
    calls: number;
    calls_per_s: number;
    per_replica_calls_per_s: number[];
    p50_us: number;
    p99_us: number;
    events_per_commit: number;
    /** Sessions made inside the measured interval because the stock ran out (0 normally). */
    sessions_made_during_run: number;
  };
  latency: {
    concurrency: number;
    rounds: number;
    decide: { postgres: LatencyPair; sqlite: LatencyPair; ratio_p50: number; ratio_p99: number };
    execute: { postgres: LatencyPair; sqlite: LatencyPair; ratio_p50: number; ratio_p99: number };
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

function pair(samples: number[]): LatencyPair {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50_us: round1(percentile(sorted, 50)), p99_us: round1(percentile(sorted, 99)), calls: sorted.length };
}

async function throughput(configPath: string, o: { replicas: number; concurrency: number; seconds: number; warmupCalls: number; caller: ReplicaData['caller'] }): Promise<FleetBenchResult['throughput']> {
  const workers: Worker[] = [];
  const done: Promise<Extract<ReplicaMessage, { type: 'done' }>>[] = [];
  const ready: Promise<void>[] = [];
  try {
    for (let r = 0; r < o.replicas; r++) {
      const data: ReplicaData = { configPath, replica: r, concurrency: o.concurrency, seconds: o.seconds, warmupCalls: o.warmupCalls, expectedCalls: Math.ceil(o.seconds * 4000), caller: o.caller };
      const worker = new Worker(fileURLToPath(new URL('./fleet-replica.ts', import.meta.url)), { workerData: data });
      workers.push(worker);
      let onReady: () => void = () => undefined;
      ready.push(new Promise<void>((resolve) => (onReady = resolve)));
      done.push(
        new Promise((resolve, reject) => {
          worker.on('message', (m: ReplicaMessage) => {
            if (m.type === 'ready') onReady();
            else if (m.type === 'done') resolve(m);
            else reject(new Error(`replica ${r}: ${m.message}`));
          });
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`replica ${r} exited (${code}) before reporting`)));
        }),
      );
    }
    // Fail fast if a replica dies during start-up.
    await Promise.race([Promise.all(ready), Promise.all(done).then(() => undefined)]);
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const latencies: number[] = [];
    for (const r of results) for (const v of r.latencies_us) latencies.push(v);
    latencies.sort((a, b) => a - b);
    const calls = results.reduce((a, r) => a + r.calls, 0);
    const perReplica = results.map((r) => Math.round(r.calls / r.elapsed_s));
    const batches = results.reduce((a, r) => a + (r.audit?.batches ?? 0), 0);
    const events = results.reduce((a, r) => a + (r.audit?.events ?? 0), 0);
    return {
      replicas: o.replicas,
      concurrency_per_replica: o.concurrency,
      seconds: round2(Math.max(...results.map((r) => r.elapsed_s))),
      calls,
      calls_per_s: perReplica.reduce((a, b) => a + b, 0),
      per_replica_calls_per_s: perReplica,
      p50_us: round1(percentile(latencies, 50)),
      p99_us: round1(percentile(latencies, 99)),
      events_per_commit: batches === 0 ? 0 : round1(events / batches),
      sessions_made_during_run: results.reduce((a, r) => a + r.sessions_made_during_run, 0),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

interface Driver {
  sessions: BenchSessions;
  decide(w: number): Promise<void>;
  execute(w: number): Promise<void>;
}

async function driver(gateway: Gateway, token: string, calls: number): Promise<Driver> {
  const sessions = new BenchSessions(gateway, token);
  await sessions.prepare(calls);
  return {
    sessions,
    async decide(w) {
      const r = await gateway.decide(await sessions.next(w));
      if (r.outcome !== 'allow') throw new Error(`unexpected decide outcome ${r.outcome}: ${JSON.stringify(r.reasons)}`);
    },
    async execute(w) {
      const r = await gateway.execute(await sessions.next(w));
      if (r.status !== 'executed') throw new Error(`unexpected ${r.status}: ${r.decision.code}`);
    },
  };
}

/** `concurrency` callers for `ms`; returns every call's latency (µs). */
async function drive(fn: (w: number) => Promise<void>, concurrency: number, ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await fn(w);
        latencies.push((performance.now() - t0) * 1000);
      }
    }),
  );
  return latencies;
}

async function latency(configPath: string, o: { concurrency: number; seconds: number; rounds: number }): Promise<FleetBenchResult['latency']> {
  const { loadConfig } = await import('../src/config/index.ts');
  const config = await loadConfig(configPath);
  const desk = new SupportDesk();
  const pgGateway = await createGateway(config, { handlers: desk.handlers(), resolvers: desk.resolvers() });
  const sqlite = await startDemo({ configure: (c) => ({ ...c, limits: {} }) });
  try {
    // Sessions for every call of the warm-up and the rounds (generously: 4,000 calls/s per store).
    const budget = 4000 * (o.seconds / 2 + 2) + o.concurrency * 50;
    const claims = { sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' };
    const pgDriver = await driver(pgGateway, await mintToken(config, { ttlSeconds: 3600, ...claims }), budget);
    const sqDriver = await driver(sqlite.gateway, await sqlite.token({ ...claims, ttlSeconds: 3600 }), budget);
    // Warm up both.
    for (const d of [pgDriver, sqDriver]) {
      await drive((w) => d.decide(w), o.concurrency, 500);
      await drive((w) => d.execute(w), o.concurrency, 500);
    }
    const samples = { decide: { postgres: [] as number[], sqlite: [] as number[] }, execute: { postgres: [] as number[], sqlite: [] as number[] } };
    // Each round: decide and execute on each store, the order alternating between rounds.
    const slice = (o.seconds * 1000) / (o.rounds * 4);
    for (let r = 0; r < o.rounds; r++) {
      const order = r % 2 === 0 ? (['postgres', 'sqlite'] as const) : (['sqlite', 'postgres'] as const);
      for (const store of order) {
        const d = store === 'postgres' ? pgDriver : sqDriver;
        samples.decide[store].push(...(await drive((w) => d.decide(w), o.concurrency, slice)));
        samples.execute[store].push(...(await drive((w) => d.execute(w), o.concurrency, slice)));
      }
    }
    const compare = (s: { postgres: number[]; sqlite: number[] }) => {
      const postgres = pair(s.postgres);
      const sq = pair(s.sqlite);
      return { postgres, sqlite: sq, ratio_p50: round2(postgres.p50_us / sq.p50_us), ratio_p99: round2(postgres.p99_us / sq.p99_us) };
    };
    return { concurrency: o.concurrency, rounds: o.rounds, decide: compare(samples.decide), execute: compare(samples.execute) };
  } finally {
    await pgGateway.close();
    await sqlite.close();
  }
}

export async function run(
  options: { seconds?: number; concurrency?: number; replicas?: number; latencySeconds?: number; latencyConcurrency?: number; rounds?: number; warmupCalls?: number } = {},
): Promise<FleetBenchResult> {
  const setup = await fleetSetup();
  try {
    const shape = { replicas: options.replicas ?? 2, concurrency: options.concurrency ?? 64, seconds: options.seconds ?? 10, warmupCalls: options.warmupCalls ?? 1000 };
    const plain = await throughput(setup.configPath, { ...shape, caller: 'plain' });
    const t = await throughput(setup.configPath, { ...shape, caller: 'session' });
    const l = await latency(setup.configPath, { concurrency: options.latencyConcurrency ?? 16, seconds: options.latencySeconds ?? 8, rounds: options.rounds ?? 4 });
    return { name: `execute, ${t.replicas} replicas on PostgreSQL`, plain, throughput: t, latency: l };
  } finally {
    await setup.drop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      concurrency: { type: 'string', default: '64' },
      replicas: { type: 'string', default: '2' },
      'latency-seconds': { type: 'string', default: '8' },
      'latency-concurrency': { type: 'string', default: '16' },
      'skip-latency': { type: 'boolean' },
    },
  });
  const result = await run({
    seconds: Number(values.seconds),
    concurrency: Number(values.concurrency),
    replicas: Number(values.replicas),
    latencySeconds: values['skip-latency'] === true ? 0.4 : Number(values['latency-seconds']),
    latencyConcurrency: Number(values['latency-concurrency']),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
