/**
 * The optional store capability a prune needs (PrunableAuditStore), and the part of applying
 * one prune batch that every adapter shares: given the chain head read under the store's
 * append lock, build the tombstones and seal the `audit.pruned` record onto that head.
 *
 * Guarantee every adapter gives for `prune(batch)`: ONE transaction, serialized with appends
 * (the record is sealed onto the head read under the same lock appends take, so the chain
 * never forks). Inside it every target row must still have the hash and body the plan saw —
 * otherwise ERR_AUDIT_PRUNE_CONFLICT and nothing is written. Then the record is inserted at
 * head + 1 and each target's body (only the body column) becomes its tombstone. Any failure
 * rolls the whole batch back (ERR_AUDIT_UNAVAILABLE): either all of it is in the log or none.
 */
import { sha256Hex } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../../core/types.ts';
import { newEventIds } from '../event-ids.ts';
import { eventOf, INDEXED_FIELDS, prepareInput, sealRecord } from '../event-record.ts';
import type { StoredEventRecord } from '../event-record.ts';
import { GENESIS_HASH } from '../chain.ts';
import type { ChainHead } from '../chain.ts';
import type { AuditStore } from '../types.ts';
import { PRUNE_EVENT_TYPE, prunedMark } from './classes.ts';

/** One event a batch prunes, as the plan saw it. */
export interface PruneBatchTarget {
  seq: number;
  /** Its hash (kept by the tombstone). */
  hash: string;
  /** Its stored body when planned (canonical JSON without `hash`): the store refuses the batch if it changed. */
  body: string;
}

export interface PruneBatch {
  targets: readonly PruneBatchTarget[];
  /**
   * Pure: the tombstone bodies (canonical JSON, in target order) and the record, once the
   * record's seq is known (head + 1 under the store's lock).
   */
  build(recordSeq: number): { tombstones: string[]; record: AuditEventInput };
}

/** An AuditStore that can prune (memory, SQLite, PostgreSQL). */
export interface PrunableAuditStore extends AuditStore {
  /** Applies one batch atomically (see the module header); resolves with the record as committed. */
  prune(batch: PruneBatch): Promise<AuditEvent>;
}

export function isPrunable(store: AuditStore): store is PrunableAuditStore {
  return typeof (store as Partial<PrunableAuditStore>).prune === 'function';
}

export function pruneConflict(seq: number): AirlockError {
  return new AirlockError('ERR_AUDIT_PRUNE_CONFLICT', `audit event ${seq} changed since the prune was planned; nothing of this batch was written`, {
    status: 409,
    details: { seq },
  });
}

function badBatch(message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_PRUNE_INVALID', message, { status: 500 });
}

/** What a store writes for one batch: the sealed record and the new body of each target. */
export interface PruneWrite {
  record: StoredEventRecord;
  event: AuditEvent;
  /** [seq, tombstone body], in target order. */
  tombstones: Array<[number, string]>;
}

/**
 * Builds and checks one batch's writes on `head` (read under the lock) at time `ms`. Throws
 * ERR_AUDIT_PRUNE_INVALID when a tombstone would not be a valid tombstone of its target (other
 * lineage columns, no mark, a mark naming another record): a store never writes such a row.
 */
export function preparePruneWrite(batch: PruneBatch, head: ChainHead | null, ms: number): PruneWrite {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const built = batch.build(seq);
  if (built.tombstones.length !== batch.targets.length || batch.targets.length === 0) throw badBatch('prune batch has no targets or a tombstone count that differs');
  const tombstones: Array<[number, string]> = [];
  for (const [i, target] of batch.targets.entries()) {
    const body = built.tombstones[i] as string;
    const before = JSON.parse(target.body) as Record<string, unknown>;
    const after = JSON.parse(body) as Record<string, unknown>;
    if (target.seq >= seq || before.type === PRUNE_EVENT_TYPE) throw badBatch(`event ${target.seq} cannot be pruned by a record at seq ${seq}`);
    for (const field of INDEXED_FIELDS) {
      if ((before[field] ?? null) !== (after[field] ?? null)) throw badBatch(`tombstone of event ${target.seq} changes ${field}`);
    }
    if (prunedMark(after)?.by !== seq) throw badBatch(`tombstone of event ${target.seq} does not name its record`);
    tombstones.push([target.seq, body]);
  }
  const prepared = prepareInput(built.record, { pruneRecord: true });
  const eventId = newEventIds(1, ms)[0] as string;
  const meta = { seq, eventId, ts: new Date(ms).toISOString(), prevHash };
  const record = sealRecord(prepared.wire, meta);
  return { record, event: eventOf(prepared, meta, record.hash), tombstones };
}

/** The hash verifyChain computes for a tombstone body (its canonical JSON; prev_hash is inside). */
export function tombHashOf(body: string): string {
  return `sha256:${sha256Hex(body)}`;
}
