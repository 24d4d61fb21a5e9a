/**
 * Benchmark of the audit log shared by replicas on PostgreSQL: two PostgresAuditStores (two
 * pools on one schema, as two gateway replicas) with `producers` concurrent producers each,
 * every producer making "calls" that record 2 events like the pipeline does (intent, awaited,
 * then result, awaited), every append acknowledged only after its commit; signed checkpoints
 * on. In the same run, the SQLite store (bench/audit.bench.ts) with the same total number of
 * producers, for the ratio. Reports events/s of both, PostgreSQL batch sizes, append latency
 * and the verification of the resulting chain.
 *
 * Part of bench/run.ts (`--only audit-postgres`; it needs a PostgreSQL server), or run directly:
 * `node bench/audit-postgres.bench.ts [--calls=20000] [--producers=64] [--stores=2]`, or import
 * `runPostgresAudit`. The server: AIRLOCK_BENCH_POSTGRES_URL, else AIRLOCK_TEST_POSTGRES_URL,
 * else postgres://postgres@127.0.0.1:5432/test; the run creates and drops a schema of its own.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readAll, verifyChain } from '../src/audit/index.ts';
import { PostgresAuditStore } from '../src/stores/postgres/audit.ts';
import { testPostgres } from '../src/stores/postgres/test-support.ts';
import { callEvents, run as runSqliteAudit } from './audit.bench.ts';
import { percentile } from './stats.ts';

if (process.env.AIRLOCK_BENCH_POSTGRES_URL !== undefined) process.env.AIRLOCK_TEST_POSTGRES_URL = process.env.AIRLOCK_BENCH_POSTGRES_URL;

export interface PostgresAuditBenchOptions {
  /** Calls in the measured run, over all stores (default 20,000; 2 events each). */
  calls?: number;
  /** Concurrent producers per store (default 64). */
  producers?: number;
  /** Stores (replicas) appending to the one chain (default 2). */
  stores?: number;
  /** Calls run first and not measured (default 1,000). */
  warmupCalls?: number;
  /** Also run the SQLite store with stores x producers producers, for the ratio (default true). */
  compareSqlite?: boolean;
}

export interface PostgresAuditBenchResult {
  name: 'audit.append.postgres';
  stores: number;
  producers_per_store: number;
  calls: number;
  events: number;
  seconds: number;
  events_per_s: number;
  batches: { count: number; mean_events: number; p50_events: number; max_events: number; p50_commit_ms: number; p99_commit_ms: number };
  append_latency_ms: { p50: number; p99: number; max: number };
  verify: { ok: boolean; checked: number; ms: number };
  sqlite: { producers: number; events_per_s: number; append_p50_ms: number; append_p99_ms: number } | null;
  /** PostgreSQL events/s divided by SQLite events/s (null without the comparison). */
  ratio_postgres_to_sqlite: number | null;
}


const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

export async function runPostgresAudit(opts: PostgresAuditBenchOptions = {}): Promise<PostgresAuditBenchResult> {
  const calls = opts.calls ?? 20_000;
  const producers = Math.max(1, opts.producers ?? 64);
  const storeCount = Math.max(1, opts.stores ?? 2);
  const warmup = opts.warmupCalls ?? 1000;
  const key = randomBytes(32);
  const pg = await testPostgres();
  const batchEvents: number[] = [];
  const commitMs: number[] = [];
  const appendMs: number[] = [];
  let measuring = false;
  try {
    const stores: PostgresAuditStore[] = [];
    for (let s = 0; s < storeCount; s++) {
      stores.push(
        await PostgresAuditStore.open(s === 0 ? pg.db : pg.open(), {
          checkpointKey: key,
          onBatch: (b) => {
            if (!measuring || !b.ok) return;
            batchEvents.push(b.events);
            commitMs.push(b.commitUs / 1000);
          },
        }),
      );
    }
    const drive = async (total: number): Promise<void> => {
      let next = 0;
      await Promise.all(
        stores.flatMap((store, s) =>
          Array.from({ length: producers }, async (_, producer) => {
            for (let call = next++; call < total; call = next++) {
              for (const event of callEvents(producer, call, true, `${s}x`)) {
                const t0 = performance.now();
                await store.append([event]);
                if (measuring) appendMs.push(performance.now() - t0);
              }
            }
          }),
        ),
      );
    };
    await drive(warmup);
    measuring = true;
    const started = performance.now();
    await drive(calls);
    const seconds = (performance.now() - started) / 1000;
    measuring = false;

    const t0 = performance.now();
    const checkpoint = await (stores[0] as PostgresAuditStore).checkpoint();
    const verified = await verifyChain(readAll(stores[0] as PostgresAuditStore, { pageSize: 2000 }), {
      ...(checkpoint === null ? {} : { checkpoint, checkpointKey: key }),
    });
    const verify = { ok: verified.ok, checked: verified.checked, ms: round(performance.now() - t0, 1) };
    for (const store of stores) await store.close();

    let sqlite: PostgresAuditBenchResult['sqlite'] = null;
    if (opts.compareSqlite !== false) {
      const r = await runSqliteAudit({ calls, producers: producers * storeCount, mode: 'split', warmupCalls: warmup, verify: false });
      sqlite = { producers: r.producers, events_per_s: r.events_per_s, append_p50_ms: r.append_latency_ms.p50, append_p99_ms: r.append_latency_ms.p99 };
    }
    const eventsPerS = Math.round((calls * 2) / seconds);
    const sortedBatches = [...batchEvents].sort((a, b) => a - b);
    const sortedCommit = [...commitMs].sort((a, b) => a - b);
    const sortedAppend = [...appendMs].sort((a, b) => a - b);
    return {
      name: 'audit.append.postgres',
      stores: storeCount,
      producers_per_store: producers,
      calls,
      events: calls * 2,
      seconds: round(seconds, 3),
      events_per_s: eventsPerS,
      batches: {
        count: batchEvents.length,
        mean_events: round(batchEvents.reduce((a, b) => a + b, 0) / Math.max(1, batchEvents.length), 1),
        p50_events: percentile(sortedBatches, 50),
        max_events: sortedBatches.at(-1) ?? 0,
        p50_commit_ms: round(percentile(sortedCommit, 50), 2),
        p99_commit_ms: round(percentile(sortedCommit, 99), 2),
      },
      append_latency_ms: { p50: round(percentile(sortedAppend, 50), 3), p99: round(percentile(sortedAppend, 99), 3), max: round(sortedAppend.at(-1) ?? 0, 3) },
      verify,
      sqlite,
      ratio_postgres_to_sqlite: sqlite === null ? null : round(eventsPerS / sqlite.events_per_s, 2),
    };
  } finally {
    await pg.drop();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args: Record<string, string> = {};
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (match !== null) args[match[1] as string] = match[2] as string;
  }
  const r = await runPostgresAudit({
    ...(args.calls === undefined ? {} : { calls: Number(args.calls) }),
    ...(args.producers === undefined ? {} : { producers: Number(args.producers) }),
    ...(args.stores === undefined ? {} : { stores: Number(args.stores) }),
  });
  console.log(
    `audit append on postgresql: ${r.stores} stores x ${r.producers_per_store} producers, ${r.events} events: ${r.events_per_s} events/s ` +
      `(batches: ${r.batches.count}, mean ${r.batches.mean_events} events, commit p50 ${r.batches.p50_commit_ms} ms; append p50 ${r.append_latency_ms.p50} ms, p99 ${r.append_latency_ms.p99} ms; ` +
      `verify ${r.verify.ok ? 'ok' : 'BAD'} ${r.verify.checked} events in ${r.verify.ms} ms)`,
  );
  if (r.sqlite !== null) {
    console.log(`sqlite, ${r.sqlite.producers} producers, same events: ${r.sqlite.events_per_s} events/s; postgresql/sqlite = ${r.ratio_postgres_to_sqlite}`);
  }
  console.log(JSON.stringify(r, null, 2));
}
