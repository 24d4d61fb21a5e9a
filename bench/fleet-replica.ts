/**
 * One gateway replica of bench/fleet.bench.ts, run in a worker thread of its own: it loads
 * the fleet config (PostgreSQL state and audit shared by every replica), builds an in-process
 * gateway with the support-desk handlers, makes the sessions its callers will use (bench/fleet-sessions.ts), warms up,
 * tells the parent it is ready, and on "go" drives `concurrency` concurrent allowed `execute`
 * calls for `seconds`; it posts back the calls made and every call's latency (µs).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../src/config/index.ts';
import { createGateway, mintToken } from '../src/pipeline/index.ts';
import { SupportDesk } from '../examples/support-desk/handlers.ts';
import { BenchSessions, USES_PER_SESSION } from './fleet-sessions.ts';

export interface ReplicaData {
  configPath: string;
  replica: number;
  concurrency: number;
  seconds: number;
  warmupCalls: number;
  /** Calls the run is expected to make (sessions for them are made before it starts). */
  expectedCalls: number;
  /**
   * `session`: a support agent in a session on the customer's ticket (provenance and session
   * activity on every call); `plain`: the call of the SQLite execute row (a finance lead, no
   * session), so the two rows compare like with like.
   */
  caller: 'session' | 'plain';
}

export type ReplicaMessage =
  | { type: 'ready' }
  | { type: 'done'; calls: number; elapsed_s: number; latencies_us: Float64Array; sessions_made_during_run: number; audit: { batches: number; events: number } | null }
  | { type: 'error'; message: string };

async function main(data: ReplicaData): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('fleet-replica.ts runs in a worker thread');
  const config = await loadConfig(data.configPath);
  const desk = new SupportDesk();
  const gateway = await createGateway(config, { handlers: desk.handlers(), resolvers: desk.resolvers() });
  try {
    const token = await mintToken(config, { ttlSeconds: 3600, sub: `sam-${data.replica}`, tenant: 'acme', roles: ['support'], agent: 'support-agent' });
    const sessions = new BenchSessions(gateway, token);
    const fin = await mintToken(config, { ttlSeconds: 3600, sub: 'fin', tenant: 'acme', roles: ['finance-lead'] });
    const customers = ['cus_acme_ada', 'cus_acme_grace', 'cus_acme_alan', 'cus_acme_barbara'];
    let plainCalls = 0;
    const request = async (w: number) =>
      data.caller === 'plain' ? { token: fin, tool: 'crm.getCustomer', arguments: { customer_id: customers[plainCalls++ % customers.length] as string } } : await sessions.next(w);
    const call = async (w: number): Promise<void> => {
      const result = await gateway.execute(await request(w));
      if (result.status !== 'executed') throw new Error(`unexpected ${result.status}: ${result.decision.code} ${JSON.stringify(result.decision.reasons)}`);
    };
    // Warm up (JIT, Cedar slices, pools) with the same concurrency, then make the sessions of the run.
    const withSessions = data.caller === 'session';
    if (withSessions) await sessions.prepare(data.warmupCalls + data.concurrency * USES_PER_SESSION);
    let warm = 0;
    await Promise.all(Array.from({ length: data.concurrency }, async (_, w) => {
      while (warm++ < data.warmupCalls) await call(w);
    }));
    if (withSessions) await sessions.prepare(data.expectedCalls + data.concurrency * USES_PER_SESSION);
    sessions.measuring = true;
    const go = new Promise<void>((resolve) => port.once('message', () => resolve()));
    port.postMessage({ type: 'ready' } satisfies ReplicaMessage);
    await go;
    const before = gateway.stats().audit;
    const latencies: number[] = [];
    let calls = 0;
    const started = performance.now();
    const deadline = started + data.seconds * 1000;
    await Promise.all(Array.from({ length: data.concurrency }, async (_, w) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await call(w);
        latencies.push((performance.now() - t0) * 1000);
        calls++;
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    const after = gateway.stats().audit;
    const audit = before !== null && after !== null ? { batches: after.batches - before.batches, events: after.events - before.events } : null;
    const array = Float64Array.from(latencies);
    port.postMessage({ type: 'done', calls, elapsed_s: elapsed, latencies_us: array, sessions_made_during_run: sessions.madeDuringRun, audit } satisfies ReplicaMessage, [array.buffer]);
  } finally {
    await gateway.close();
  }
}

main(workerData as ReplicaData).catch((error: unknown) => {
  parentPort?.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ReplicaMessage);
});
