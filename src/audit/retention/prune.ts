/**
 * Running a retention prune over an audit store (docs/audit.md, "Retention"):
 *
 * 1. Verify the whole chain from genesis (with the store's signed checkpoint when it has one)
 *    while collecting the events whose data classes are due (seq, verified body hash, classes:
 *    bodies are read back per batch and must still be the verified ones). A chain that does not
 *    verify is never pruned: ERR_AUDIT_PRUNE_CHAIN_INVALID, nothing written.
 * 2. Sign the verified head with the checkpoint key (the checkpoint before the prune); it goes
 *    into every prune record of this run.
 * 3. Per batch of at most MAX_PRUNE_TARGETS events, one store transaction (store.ts): the
 *    `audit.pruned` record at the head, listing each target's seq, original hash and tombstone
 *    hash, and the targets' bodies replaced by their tombstones.
 *
 * A dry run does step 1 and reports what would be pruned. Appends go on meanwhile: each batch
 * is sealed onto whatever the head is when it commits; a target changed by a concurrent prune
 * refuses that batch (ERR_AUDIT_PRUNE_CONFLICT) and the run stops there, its earlier batches kept.
 */
import { AirlockError } from '../../core/errors.ts';
import type { AuditEvent } from '../../core/types.ts';
import { ChainVerifier, hashEvent } from '../chain.ts';
import type { ChainHead, ChainVerification } from '../chain.ts';
import { signCheckpoint } from '../checkpoint.ts';
import type { Checkpoint } from '../checkpoint.ts';
import { canonicalJson } from '../fast-canonical.ts';
import { readAll } from '../read-all.ts';
import { DATA_CLASSES, tombstoneOf } from './classes.ts';
import type { DataClass } from './classes.ts';
import { dueClasses, horizonsOf, isActive, newestHorizon, policyRecord } from './policy.ts';
import type { RetentionPolicy } from './policy.ts';
import { MAX_PRUNE_TARGETS, pruneEventInput } from './record.ts';
import type { PruneTarget } from './record.ts';
import { pruneConflict, tombHashOf } from './store.ts';
import type { PrunableAuditStore, PruneBatch } from './store.ts';

export interface PruneOptions {
  policy: RetentionPolicy;
  /** Time the horizons are computed from (ms since the epoch). */
  now: number;
  dryRun?: boolean;
  /** Signs the verified head (the checkpoint before the prune). */
  checkpointKey?: Uint8Array;
  /** The store's signed checkpoint: verification also requires the log to hold it (catches a cut-off tail). */
  checkpoint?: Checkpoint | null;
  /** Recorded as who ran the prune: `cli` or `scheduler`. */
  by: string;
  /** Most events pruned by one run (the rest waits for the next run). Default 100 000. */
  maxEvents?: number;
  /** Events per batch (per record), at most MAX_PRUNE_TARGETS. */
  batchSize?: number;
  /** Told after verification and after every committed batch. */
  onProgress?: (progress: PruneProgress) => void;
}

export interface PruneProgress {
  phase: 'verified' | 'batch';
  due: number;
  pruned: number;
  verifiedSeq: number;
}

export interface PruneReport {
  dryRun: boolean;
  /** Head verified before pruning (null: empty log). */
  verified: ChainHead | null;
  horizons: Record<string, string>;
  /** Events with at least one class due (capped at maxEvents). */
  due: number;
  /** Per class: events that lose it in this run (or would, in a dry run). */
  byClass: Record<DataClass, number>;
  /** Events pruned (0 in a dry run). */
  pruned: number;
  /** Seqs of the `audit.pruned` records written. */
  records: number[];
  /** More events were due than maxEvents allowed. */
  truncated: boolean;
  /** Wall time of the run, split into verification and writing. */
  verifyMs: number;
  writeMs: number;
}

const DEFAULT_MAX_EVENTS = 100_000;

export function chainInvalid(result: ChainVerification): AirlockError {
  const bad = result.firstBad;
  return new AirlockError('ERR_AUDIT_PRUNE_CHAIN_INVALID', `audit log does not verify${bad === undefined ? '' : ` (${bad.reason} at seq ${bad.seq})`}; refusing to prune`, {
    status: 409,
    details: { ...bad },
  });
}

/** What the plan keeps of a due event (not the event: a run holds up to maxEvents of these). */
interface Due {
  seq: number;
  /** Hash of the body as verified (its own hash when intact; the tombstone hash when pruned before). */
  verified: string;
  classes: DataClass[];
}

/** Events with their bodies, read back per batch. */
interface DueEvent {
  event: AuditEvent;
  classes: DataClass[];
  /** Its stored body (canonical JSON without `hash`), as checked against the verified hash. */
  body: string;
}

/** Step 1: verify from genesis and collect what is due. */
async function verifyAndPlan(store: PrunableAuditStore, options: PruneOptions, horizons: Record<string, string>, max: number) {
  const verifier = new ChainVerifier(options.checkpoint === undefined || options.checkpoint === null ? {} : { checkpoint: options.checkpoint });
  const newest = newestHorizon(horizons);
  const due: Due[] = [];
  let truncated = false;
  for await (const event of readAll(store, { pageSize: 2000 })) {
    if (verifier.push(event) !== null) break;
    if (newest === null || event.ts >= newest) continue;
    const classes = dueClasses(event as unknown as Record<string, unknown>, horizons);
    if (classes.length === 0) continue;
    if (due.length >= max) truncated = true;
    // An intact event just verified against its own hash; a tombstone's body hash is what its record lists.
    else due.push({ seq: event.seq, verified: event.pruned === undefined ? event.hash : hashEvent(event.prev_hash, event), classes });
  }
  const result = verifier.finish();
  if (!result.ok) throw chainInvalid(result);
  return { result, due, truncated };
}

/**
 * The batch's events read back from the store (pages over the batch's seq range), each checked
 * against the body the verification pass saw: one changed since (a concurrent prune, or an edit)
 * refuses the batch (ERR_AUDIT_PRUNE_CONFLICT) — nothing unverified is ever tombstoned.
 */
async function readBatch(store: PrunableAuditStore, items: readonly Due[]): Promise<DueEvent[]> {
  const wanted = new Map(items.map((item) => [item.seq, item]));
  const out: DueEvent[] = [];
  const last = (items.at(-1) as Due).seq;
  let next = (items[0] as Due).seq;
  while (next <= last && out.length < items.length) {
    const page = await store.read({ fromSeq: next, limit: Math.min(2000, last - next + 1) });
    if (page.length === 0) break;
    for (const event of page) {
      const item = wanted.get(event.seq);
      if (item === undefined) continue;
      // The body the store holds is the canonical JSON of the event without its hash (prev_hash inside).
      const { hash: _hash, ...rest } = event;
      const body = canonicalJson(rest);
      if (tombHashOf(body) !== item.verified) throw pruneConflict(event.seq);
      out.push({ event, classes: item.classes, body });
    }
    next = (page.at(-1) as AuditEvent).seq + 1;
  }
  if (out.length !== items.length) throw pruneConflict((items.find((i) => !out.some((o) => o.event.seq === i.seq)) as Due).seq);
  return out;
}

function batchOf(items: readonly DueEvent[], record: Omit<Parameters<typeof pruneEventInput>[0], 'targets'>): PruneBatch {
  return {
    targets: items.map(({ event, body }) => ({ seq: event.seq, hash: event.hash, body })),
    build(recordSeq: number) {
      const tombstones = items.map(({ event, classes }) => canonicalJson(tombstoneOf(event, classes, recordSeq)));
      const targets: PruneTarget[] = items.map(({ event }, i) => [event.seq, event.hash, tombHashOf(tombstones[i] as string)]);
      return { tombstones, record: pruneEventInput({ ...record, targets }) };
    },
  };
}

/** Runs one prune (see the module header). */
export async function pruneAudit(store: PrunableAuditStore, options: PruneOptions): Promise<PruneReport> {
  const started = performance.now();
  const horizons = horizonsOf(options.policy, options.now);
  const max = Math.max(0, Math.floor(options.maxEvents ?? DEFAULT_MAX_EVENTS));
  const size = Math.min(MAX_PRUNE_TARGETS, Math.max(1, Math.floor(options.batchSize ?? MAX_PRUNE_TARGETS)));
  const byClass = Object.fromEntries(DATA_CLASSES.map((c) => [c, 0])) as Record<DataClass, number>;
  const report: PruneReport = { dryRun: options.dryRun === true, verified: null, horizons, due: 0, byClass, pruned: 0, records: [], truncated: false, verifyMs: 0, writeMs: 0 };
  const planned = isActive(options.policy)
    ? await verifyAndPlan(store, options, horizons, max)
    : await verifyAndPlan(store, options, {}, 0);
  report.verified = planned.result.head;
  report.due = planned.due.length;
  report.truncated = planned.truncated;
  for (const { classes } of planned.due) for (const cls of classes) byClass[cls]++;
  report.verifyMs = performance.now() - started;
  options.onProgress?.({ phase: 'verified', due: report.due, pruned: 0, verifiedSeq: report.verified?.seq ?? 0 });
  if (report.dryRun || planned.due.length === 0) return report;
  const verified = report.verified;
  const checkpoint =
    options.checkpointKey === undefined || verified === null
      ? null
      : signCheckpoint({ seq: verified.seq, hash: verified.hash, ts: new Date(options.now).toISOString() }, options.checkpointKey);
  const base = { policy: policyRecord(options.policy), horizon: horizons, verified, checkpoint, by: options.by };
  const writing = performance.now();
  for (let i = 0; i < planned.due.length; i += size) {
    const items = await readBatch(store, planned.due.slice(i, i + size));
    const record = await store.prune(batchOf(items, base));
    report.records.push(record.seq);
    report.pruned += items.length;
    options.onProgress?.({ phase: 'batch', due: report.due, pruned: report.pruned, verifiedSeq: verified?.seq ?? 0 });
  }
  report.writeMs = performance.now() - writing;
  return report;
}
