/**
 * Benchmark of the durable audit log: N concurrent producers each make "calls" that record
 * 2 events, against a SqliteAuditStore on a temp file (WAL, synchronous=FULL, signed
 * checkpoints), every call acknowledged only after its commit. Reports calls/s, commit batch
 * sizes, append and call latency, and the time to verify the resulting chain.
 *
 * Modes: `split` records like the pipeline does (intent event, awaited, then result event,
 * awaited: two commits per call); `pair` appends both events in one append (one commit).
 *
 * Run directly: `node bench/audit.bench.ts [--calls=20000] [--producers=1,8,64,256,1024] [--mode=split,pair]
 * [--max-batch=1024] [--writer=thread|inline] [--refs=false]` for a table and the JSON, or import `run`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from './stats.ts';
import type { AuditEventInput } from '../src/core/types.ts';
import { readAll, verifyChain } from '../src/audit/index.ts';
import { SqliteAuditStore } from '../src/stores/sqlite/index.ts';

export type AuditBenchMode = 'split' | 'pair';

export interface AuditBenchOptions {
  /** Calls in the measured run (default 20,000). */
  calls?: number;
  /** Concurrent producers (default 64). */
  producers?: number;
  mode?: AuditBenchMode;
  maxBatch?: number;
  /** Keep signed checkpoints (default true). */
  checkpoint?: boolean;
  /** Verify the chain afterwards (default true). */
  verify?: boolean;
  /** Calls run first and not measured (default 1,000). */
  warmupCalls?: number;
  /** Where commits run (default: the store's default, a writer thread). */
  writer?: 'thread' | 'inline';
  /** Give events the refs the pipeline gives them (decision id, credential jti, manifest hash; default true). */
  refs?: boolean;
}

export interface AuditBenchResult {
  name: 'audit.append';
  mode: AuditBenchMode;
  writer: 'thread' | 'inline';
  producers: number;
  calls: number;
  events: number;
  seconds: number;
  calls_per_s: number;
  events_per_s: number;
  batches: {
    count: number;
    mean_events: number;
    p50_events: number;
    p99_events: number;
    max_events: number;
    p50_commit_us: number;
    p99_commit_us: number;
  };
  /** One append() from call to resolution (includes waiting for the batch), milliseconds. */
  append_latency_ms: { p50: number; p99: number; max: number };
  /** A whole call (both events durable), milliseconds. */
  call_latency_ms: { p50: number; p99: number };
  /** CPU per call: on the event loop (what the gateway thread pays) and in the whole process, microseconds. */
  cpu_us_per_call: { event_loop: number; process: number };
  verify: { ok: boolean; checked: number; ms: number } | null;
  db_bytes: number;
}


const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * Events shaped like the pipeline's (decision object, argument summary, phase timings) for one
 * call of one producer; `scope` keeps ids apart between producers of different stores.
 */
export function callEvents(producer: number, call: number, withRefs = true, scope = ''): [AuditEventInput, AuditEventInput] {
  const who = `${scope}${producer}`;
  const base = {
    request_id: `req_bench${who}x${call}aaaaaaaaaaaa`,
    trace_id: `trc_bench${who}x${call}aaaaaaaaaaaa`,
    session_id: `ses_bench${who}aaaaaaaaaaaa`,
    action_id: `act_bench${who}x${call}aaaaaaaaaaaa`,
    parent_action_id: null,
    actor: { user: `user-${producer % 50}`, tenant: 'acme', roles: ['analyst', 'support'], agent: 'support-agent' },
    model_id: 'model-x',
    runtime_config_id: 'cfg-1',
    context_manifest_hash: `sha256:${'c'.repeat(64)}`,
    tool: 'crm.getCustomer',
    tool_version: `sha256:${'d'.repeat(64)}`,
    args_hash: `sha256:${'e'.repeat(64)}`,
    args_summary: { customer_id: `cus_${call}`, fields: ['name', 'email', 'plan'] },
  };
  // What the pipeline's callRefs gives the event that records a call's decision.
  const refs = withRefs ? { refs: [`dec_bench${who}x${call}aaaaaaaaaaaa`, `jti_bench${who}x${call}aaaaaa`, `sha256:${'c'.repeat(64)}`] } : {};
  const decision = {
    decision_id: `dec_bench${who}x${call}aaaaaaaaaaaa`,
    outcome: 'allow',
    code: 'policy.permit',
    reasons: [{ policy_id: 'support-reads-customers', effect: 'permit', reason: 'support may read customers of their tenant', code: 'policy.permit' }],
    checks: { action_class: { passed: true, policy_ids: ['support-reads-customers'] }, parameters: { passed: true, policy_ids: [] } },
    obligations: { credentialScope: 'crm.customer.read', credentialTtlSeconds: 300 },
    policy_version: `sha256:${'f'.repeat(64)}`,
    errors: [],
    latency_us: 180,
  };
  return [
    { ...base, ...refs, type: 'intent', decision, phase_timings: { identify: 40, resolve: 5, validate: 30, authorize: 180, record: 0 } },
    { ...base, type: 'result', result_code: 'ok', result_hash: `sha256:${'a'.repeat(64)}`, phase_timings: { execute: 900, inspect: 60 } },
  ];
}

export async function run(opts: AuditBenchOptions = {}): Promise<AuditBenchResult> {
  const calls = opts.calls ?? 20_000;
  const producers = Math.max(1, opts.producers ?? 64);
  const mode = opts.mode ?? 'split';
  const warmup = opts.warmupCalls ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-bench-'));
  const path = join(dir, 'audit.db');
  const batchEvents: number[] = [];
  const commitUs: number[] = [];
  let measuring = false;
  const store = SqliteAuditStore.open(path, {
    ...(opts.checkpoint === false ? {} : { checkpointKey: randomBytes(32) }),
    ...(opts.maxBatch === undefined ? {} : { maxBatch: opts.maxBatch }),
    ...(opts.writer === undefined ? {} : { writer: opts.writer }),
    onBatch: (b) => {
      if (!measuring) return;
      batchEvents.push(b.events);
      commitUs.push(b.commitUs);
    },
  });
  const appendMs: number[] = [];
  const callMs: number[] = [];
  const timed = async (events: AuditEventInput[]): Promise<void> => {
    const t0 = performance.now();
    await store.append(events);
    if (measuring) appendMs.push(performance.now() - t0);
  };
  const oneCall = async (producer: number, call: number): Promise<void> => {
    const t0 = performance.now();
    const [intent, result] = callEvents(producer, call, opts.refs !== false);
    if (mode === 'pair') {
      await timed([intent, result]);
    } else {
      await timed([intent]);
      await timed([result]);
    }
    if (measuring) callMs.push(performance.now() - t0);
  };
  const drive = async (total: number): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: producers }, async (_, producer) => {
        for (let call = next++; call < total; call = next++) await oneCall(producer, call);
      }),
    );
  };

  try {
    await store.whenWriterReady();
    await drive(warmup);
    measuring = true;
    const started = performance.now();
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    await drive(calls);
    const seconds = (performance.now() - started) / 1000;
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    measuring = false;

    let verify: AuditBenchResult['verify'] = null;
    if (opts.verify !== false) {
      const t0 = performance.now();
      const result = await verifyChain(readAll(store, { pageSize: 2000 }), { checkpoint: (await store.checkpoint()) ?? undefined });
      verify = { ok: result.ok, checked: result.checked, ms: round(performance.now() - t0, 1) };
    }
    await store.close();
    const sortedBatches = [...batchEvents].sort((a, b) => a - b);
    const sortedCommit = [...commitUs].sort((a, b) => a - b);
    const sortedAppend = [...appendMs].sort((a, b) => a - b);
    const sortedCall = [...callMs].sort((a, b) => a - b);
    return {
      name: 'audit.append',
      mode,
      writer: opts.writer ?? 'thread',
      producers,
      calls,
      events: calls * 2,
      seconds: round(seconds, 3),
      calls_per_s: Math.round(calls / seconds),
      events_per_s: Math.round((calls * 2) / seconds),
      batches: {
        count: batchEvents.length,
        mean_events: round(batchEvents.reduce((a, b) => a + b, 0) / Math.max(1, batchEvents.length), 1),
        p50_events: percentile(sortedBatches, 50),
        p99_events: percentile(sortedBatches, 99),
        max_events: sortedBatches.at(-1) ?? 0,
        p50_commit_us: Math.round(percentile(sortedCommit, 50)),
        p99_commit_us: Math.round(percentile(sortedCommit, 99)),
      },
      append_latency_ms: { p50: round(percentile(sortedAppend, 50), 3), p99: round(percentile(sortedAppend, 99), 3), max: round(sortedAppend.at(-1) ?? 0, 3) },
      call_latency_ms: { p50: round(percentile(sortedCall, 50), 3), p99: round(percentile(sortedCall, 99), 3) },
      cpu_us_per_call: { event_loop: Math.round((elu.active * 1000) / calls), process: Math.round((cpu.user + cpu.system) / calls) },
      verify,
      db_bytes: statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0),
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match !== null) out[match[1] as string] = match[2] as string;
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2));
  const calls = Number(args.calls ?? 20_000);
  const producerList = (args.producers ?? '1,8,64,256,1024').split(',').map(Number);
  const modes = (args.mode ?? 'split,pair').split(',') as AuditBenchMode[];
  const maxBatch = args['max-batch'] === undefined ? undefined : Number(args['max-batch']);
  const writer = args.writer === 'inline' || args.writer === 'thread' ? args.writer : undefined;
  const refs = args.refs !== 'false';
  const results: AuditBenchResult[] = [];
  console.log(`audit append: 2 durable events per call, sqlite WAL synchronous=FULL, signed checkpoints, ${writer ?? 'thread'} writer, ${refs ? 'with' : 'without'} refs`);
  console.log(
    `${'mode'.padEnd(6)} ${'prod'.padStart(5)} ${'calls'.padStart(7)} ${'calls/s'.padStart(8)} ${'batches'.padStart(8)} ${'ev/batch'.padStart(9)} ` +
      `${'p50 batch'.padStart(9)} ${'max'.padStart(5)} ${'append p50'.padStart(10)} ${'p99 ms'.padStart(8)} ${'call p99'.padStart(9)} ${'loop us'.padStart(8)} ${'cpu us'.padStart(7)} ${'verify'.padStart(8)}`,
  );
  for (const mode of modes) {
    for (const producers of producerList) {
      // A single producer waits for every fsync: keep its run short.
      const r = await run({
        calls: producers === 1 ? Math.min(calls, 2000) : calls,
        producers,
        mode,
        ...(maxBatch === undefined ? {} : { maxBatch }),
        ...(writer === undefined ? {} : { writer }),
        refs,
      });
      results.push(r);
      console.log(
        `${mode.padEnd(6)} ${String(producers).padStart(5)} ${String(r.calls).padStart(7)} ${String(r.calls_per_s).padStart(8)} ${String(r.batches.count).padStart(8)} ` +
          `${String(r.batches.mean_events).padStart(9)} ${String(r.batches.p50_events).padStart(9)} ${String(r.batches.max_events).padStart(5)} ` +
          `${String(r.append_latency_ms.p50).padStart(10)} ${String(r.append_latency_ms.p99).padStart(8)} ${String(r.call_latency_ms.p99).padStart(9)} ` +
          `${String(r.cpu_us_per_call.event_loop).padStart(8)} ${String(r.cpu_us_per_call.process).padStart(7)} ` +
          `${r.verify === null ? '-' : `${r.verify.ok ? 'ok' : 'BAD'} ${Math.round(r.verify.ms)}ms`.padStart(8)}`,
      );
    }
  }
  console.log(JSON.stringify(results, null, 2));
}
