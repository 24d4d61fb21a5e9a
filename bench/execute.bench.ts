/**
 * Benchmark of the full in-process `execute` path with a durable SQLite audit log: token
 * verification, validation, scope, Cedar, the intent event committed (fsync'd) before the
 * tool runs, the tool, the result event committed after. Calls are acknowledged only after
 * their commit; throughput comes from group commit across concurrent calls.
 *
 *   node bench/execute.bench.ts [--seconds 5] [--concurrency 64]
 */
import { parseArgs } from 'node:util';
import { startDemo } from '../test/support/demo.ts';
import { summarize } from './stats.ts';
import type { LatencySummary } from './stats.ts';

export interface ExecuteBenchResult extends LatencySummary {
  name: string;
  calls: number;
  seconds: number;
  calls_per_s: number;
  concurrency: number;
  events_per_commit: number;
  commits: number;
}

export async function run(options: { seconds?: number; concurrency?: number } = {}): Promise<ExecuteBenchResult> {
  const seconds = options.seconds ?? 5;
  const concurrency = options.concurrency ?? 64;
  const fx = await startDemo({ configure: (c) => ({ ...c, limits: {} }) });
  const customers = ['cus_acme_ada', 'cus_acme_grace', 'cus_acme_alan', 'cus_acme_barbara'];
  const call = (i: number) => fx.gateway.execute({ token: fx.tokens.fin, tool: 'crm.getCustomer', arguments: { customer_id: customers[i % customers.length] } });
  // Warm up: JIT, Cedar slices, SQLite pages.
  for (let i = 0; i < 500; i++) await call(i);
  const before = fx.gateway.stats().audit;

  const latencies: number[] = [];
  let calls = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < deadline; i += concurrency) {
      const started = performance.now();
      const result = await call(i);
      if (result.status !== 'executed') throw new Error(`unexpected ${result.status}: ${result.decision.code} ${JSON.stringify(result.decision.reasons)}`);
      latencies.push((performance.now() - started) * 1000);
      calls++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - started) / 1000;
  const after = fx.gateway.stats().audit;
  await fx.close();
  const commits = before !== null && after !== null ? after.batches - before.batches : 0;
  const events = before !== null && after !== null ? after.events - before.events : 0;
  return {
    name: 'execute (in-process, durable SQLite audit)',
    calls,
    seconds: Math.round(elapsed * 100) / 100,
    calls_per_s: Math.round(calls / elapsed),
    concurrency,
    commits,
    events_per_commit: commits === 0 ? 0 : Math.round((events / commits) * 10) / 10,
    ...summarize(latencies),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '64' } } });
  const result = await run({ seconds: Number(values.seconds), concurrency: Number(values.concurrency) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
