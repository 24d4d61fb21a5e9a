/**
 * Benchmark of audit retention pruning on the durable stores (SQLite file with WAL +
 * synchronous=FULL and signed checkpoints; PostgreSQL on a schema of its own). Per round and
 * store: append N realistic call events (intent + result, like the pipeline records) in
 * appends of 256 events — the peer figure — then prune every due class of all of them
 * (batches of 256 targets, one audit.pruned record each), then verify the pruned chain. Rounds
 * alternate SQLite and PostgreSQL. Reports, per store, the medians of: append events/s, prune
 * write events/s, the prune's own verification pass, and the ratios prune/append and
 * verify(pruned)/verify(intact) — ratios, because the machine is shared and noisy.
 * Also the verifier's memory per tombstone held until its record (heap delta over
 * `--tombstones`, default 100,000; measure it alone with `--rounds=0`).
 *
 * Run directly: `node --expose-gc bench/audit-prune.bench.ts [--events=20000] [--rounds=3] [--stores=sqlite,postgres] [--tombstones=100000]`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '../src/core/types.ts';
import { ChainVerifier, readAll, verifyChain } from '../src/audit/index.ts';
import { canonicalJson } from '../src/audit/fast-canonical.ts';
import { DAY_MS, pruneAudit, tombstoneOf } from '../src/audit/retention/index.ts';
import type { PrunableAuditStore, RetentionPolicy } from '../src/audit/retention/index.ts';
import { PostgresAuditStore } from '../src/stores/postgres/audit.ts';
import { testPostgres } from '../src/stores/postgres/test-support.ts';
import { SqliteAuditStore } from '../src/stores/sqlite/index.ts';
import { callEvents } from './audit.bench.ts';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const EVENTS = Number(arg('events', '20000'));
const ROUNDS = Number(arg('rounds', '3'));
const STORES = arg('stores', 'sqlite,postgres').split(',');
const POLICY: RetentionPolicy = {
  classes: { arguments: { maxAgeDays: 0 }, content: { maxAgeDays: 0 }, identity: { maxAgeDays: 0 }, results: { maxAgeDays: 0 } },
  events: [],
};
const key = randomBytes(32);

interface Round {
  append_eps: number;
  prune_eps: number;
  prune_verify_ms: number;
  verify_intact_ms: number;
  verify_pruned_ms: number;
}

async function measure(store: PrunableAuditStore): Promise<Round> {
  const t0 = performance.now();
  for (let call = 0; call < EVENTS / 2; call += 128) {
    const batch = [];
    for (let i = call; i < Math.min(call + 128, EVENTS / 2); i++) batch.push(...callEvents(i % 64, i));
    await store.append(batch);
  }
  const appendMs = performance.now() - t0;
  const v0 = performance.now();
  const intact = await verifyChain(readAll(store, { pageSize: 2000 }));
  const verifyIntact = performance.now() - v0;
  if (!intact.ok) throw new Error('intact log does not verify');
  const report = await pruneAudit(store, { policy: POLICY, now: Date.now() + DAY_MS, by: 'bench', checkpointKey: key, maxEvents: EVENTS });
  if (report.pruned !== EVENTS) throw new Error(`pruned ${report.pruned} of ${EVENTS}`);
  const v1 = performance.now();
  const pruned = await verifyChain(readAll(store, { pageSize: 2000 }));
  const verifyPruned = performance.now() - v1;
  if (!pruned.ok || pruned.pruned !== EVENTS) throw new Error(`pruned log does not verify: ${JSON.stringify(pruned.firstBad)}`);
  return {
    append_eps: EVENTS / (appendMs / 1000),
    prune_eps: EVENTS / (report.writeMs / 1000),
    prune_verify_ms: report.verifyMs,
    verify_intact_ms: verifyIntact,
    verify_pruned_ms: verifyPruned,
  };
}

async function sqliteRound(): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-prune-bench-'));
  const store = SqliteAuditStore.open(join(dir, 'audit.db'), { checkpointKey: key });
  try {
    await store.whenWriterReady();
    return await measure(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function postgresRound(): Promise<Round> {
  const pg = await testPostgres();
  const store = await PostgresAuditStore.open(pg.db, { checkpointKey: key });
  try {
    return await measure(store);
  } finally {
    await store.close();
    await pg.drop();
  }
}

/** Heap held per tombstone while the verifier waits for its record (tombstones made one at a time, left to the GC). */
function verifierBytesPerTombstone(n: number): number {
  if (globalThis.gc === undefined) throw new Error('run with --expose-gc');
  const gc = globalThis.gc;
  const tombstoneAt = (seq: number, prev: string): AuditEvent => {
    const [input] = callEvents(seq % 64, seq);
    const event = { ...input, seq, event_id: `evt_${seq}`, ts: '2026-01-01T00:00:00.000Z', prev_hash: prev } as unknown as AuditEvent;
    const hash = `sha256:${seq.toString(16).padStart(64, '0')}`;
    return JSON.parse(canonicalJson({ ...tombstoneOf({ ...event, hash }, ['arguments'], n + 1), hash })) as AuditEvent;
  };
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const verifier = new ChainVerifier();
  let prev = `sha256:${'0'.repeat(64)}`;
  for (let seq = 1; seq <= n; seq++) {
    const tomb = tombstoneAt(seq, prev);
    if (verifier.push(tomb) !== null) throw new Error('tombstone refused');
    prev = tomb.hash;
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (verifier.finish().firstBad?.reason !== 'prune_unrecorded') throw new Error('the tombstones were not held');
  return (after - before) / n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const results: Record<string, Round[]> = Object.fromEntries(STORES.map((s) => [s, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? STORES : [...STORES].reverse()) {
    const round = name === 'sqlite' ? await sqliteRound() : await postgresRound();
    (results[name] as Round[]).push(round);
    process.stderr.write(`round ${r + 1} ${name}: ${JSON.stringify(Object.fromEntries(Object.entries(round).map(([k, v]) => [k, Math.round(v)])))}\n`);
  }
}
const summary = Object.fromEntries(
  Object.entries(results).filter(([, rounds]) => rounds.length > 0).map(([name, rounds]) => [
    name,
    {
      events: EVENTS,
      append_events_per_s: Math.round(median(rounds.map((x) => x.append_eps))),
      prune_events_per_s: Math.round(median(rounds.map((x) => x.prune_eps))),
      prune_over_append: Number(median(rounds.map((x) => x.prune_eps / x.append_eps)).toFixed(2)),
      prune_verify_ms: Math.round(median(rounds.map((x) => x.prune_verify_ms))),
      verify_pruned_over_intact: Number(median(rounds.map((x) => x.verify_pruned_ms / x.verify_intact_ms)).toFixed(2)),
    },
  ]),
);
const bytes = verifierBytesPerTombstone(Number(arg('tombstones', '100000')));
process.stdout.write(`${JSON.stringify({ ...summary, verifier_bytes_per_pending_tombstone: Math.round(bytes) }, null, 2)}\n`);
