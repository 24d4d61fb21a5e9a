/**
 * The hash chain: how one event's hash is computed and how a whole log is verified.
 *
 * hash(n) = sha256(canonical JSON of event n without `hash`), and the event holds
 * prev_hash = hash(n-1) (GENESIS_HASH for seq 1). verifyChain streams any (async) iterable
 * of events in seq order and reports the first event where the log stops being a valid
 * chain; a signed checkpoint kept outside the log also catches a cut-off tail.
 *
 * Pruned events (retention/, docs/audit.md "Retention"): a tombstone cannot be rehashed, so it
 * is accepted only when the later `audit.pruned` event named in its `pruned.by` — itself in the
 * verified chain — lists its seq, its hash and the hash of its tombstone body. Its prev_hash
 * still links to the event before it, and the next event links to its (original) hash. A
 * tombstone that no record covers is `prune_unrecorded`; one covered with another hash or body
 * is `prune_mismatch`. The verifier holds each tombstone it has seen until its record comes.
 */
import { isAirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import type { Checkpoint } from './checkpoint.ts';
import { verifyCheckpointSignature } from './checkpoint.ts';
import { canonicalJsonHash } from './fast-canonical.ts';
import { PRUNE_EVENT_TYPE, prunedMark } from './retention/classes.ts';
import { pruneTargetsOf } from './retention/record.ts';

/** prev_hash of the first event. */
export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

/** SHA-256 over the canonical JSON of the event (prev_hash, seq, ts, event_id included; hash excluded). */
export function hashEvent(prevHash: string, event: Omit<AuditEvent, 'hash'>): string {
  const { hash: _ignored, ...rest } = event as Omit<AuditEvent, 'hash'> & { hash?: unknown };
  return canonicalJsonHash({ ...rest, prev_hash: prevHash });
}

export type ChainFault =
  | 'hash_mismatch'
  | 'prev_mismatch'
  | 'seq_gap'
  | 'seq_order'
  | 'malformed'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'checkpoint_missing'
  | 'prune_unrecorded'
  | 'prune_mismatch';

export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Events that verified before the first bad one (all of them when ok). */
  checked: number;
  /** Last event that verified, or null. */
  head: ChainHead | null;
  /** Where the log first stops being a valid chain. */
  firstBad?: { seq: number; reason: ChainFault; message: string };
  /** With a checkpoint: verified events after the checkpointed seq (not yet attested). */
  unattested?: number;
  /** Tombstones (pruned events) accepted because their prune record covers them; absent when none. */
  pruned?: number;
  /** With `openEnd`: tombstones whose prune record lies after the last event given (not vouched for). */
  unvouched?: number;
  /** Their seqs, lowest first (at most UNVOUCHED_LISTED): an export's reader can look at exactly those. */
  unvouchedSeqs?: number[];
}

/** How many unvouched tombstones a verification names by seq. */
export const UNVOUCHED_LISTED = 100;

export interface VerifyChainOptions {
  /** Signed head kept outside the log; the log must contain it and must not end before it. */
  checkpoint?: Checkpoint;
  /** Key to check the checkpoint's signature with. Without it the caller must have checked it. */
  checkpointKey?: Uint8Array;
  /** Start after a known-good event instead of at genesis (incremental verification). */
  anchor?: ChainHead;
  /**
   * Heads the operator recorded outside the host (published checkpoints, `seq:hash` notes):
   * the log must hold each one (same hash at that seq; seq 0 is genesis) and must not end
   * before it. Catches a log wiped or cut back together with its checkpoint file.
   */
  expect?: readonly ChainHead[];
  /**
   * The events are a range that may stop before the log does (a time-range export): a
   * tombstone whose prune record would come after the last event is not a fault but is counted
   * in `unvouched` (nothing in the range vouches for it).
   */
  openEnd?: boolean;
}

const HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

function isWellFormed(event: unknown): event is AuditEvent {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
  const e = event as Partial<Record<keyof AuditEvent, unknown>>;
  return (
    typeof e.seq === 'number' &&
    Number.isSafeInteger(e.seq) &&
    e.seq >= 1 &&
    typeof e.event_id === 'string' &&
    typeof e.ts === 'string' &&
    typeof e.type === 'string' &&
    typeof e.prev_hash === 'string' &&
    typeof e.hash === 'string' &&
    HASH_PATTERN.test(e.hash)
  );
}

function isCorruptRow(error: unknown): boolean {
  return isAirlockError(error) && error.code === 'ERR_AUDIT_CORRUPT';
}

function corruptSeq(error: unknown): number | null {
  const seq = isAirlockError(error) ? error.details?.seq : undefined;
  return typeof seq === 'number' ? seq : null;
}

type Bad = NonNullable<ChainVerification['firstBad']>;

/**
 * Incremental verifier: feed events in order with `push` (returns the first fault, after
 * which the verifier stays failed), then `finish()`. Used by verifyChain and by stores that
 * verify a segment at open.
 */
export class ChainVerifier {
  readonly #checkpoint: Checkpoint | undefined;
  readonly #openEnd: boolean;
  /** Expected heads (outside anchors) by seq, and the highest one. */
  readonly #expect = new Map<number, string>();
  #expectTop = 0;
  #expected: number;
  #prevHash: string;
  #head: ChainHead | null;
  #checked = 0;
  #bad: Bad | null = null;
  /** Tombstones seen whose prune record has not come yet: seq -> original hash, tombstone hash, record seq. */
  readonly #pending = new Map<number, { hash: string; tomb: string; by: number }>();
  /** Record seq -> how many pending tombstones name it. */
  readonly #pendingBy = new Map<number, number>();
  #pruned = 0;

  constructor(options: VerifyChainOptions = {}) {
    const { checkpoint, checkpointKey, anchor } = options;
    this.#checkpoint = checkpoint;
    this.#openEnd = options.openEnd === true;
    this.#expected = anchor === undefined ? 1 : anchor.seq + 1;
    this.#prevHash = anchor === undefined ? GENESIS_HASH : anchor.hash;
    this.#head = anchor === undefined ? null : { seq: anchor.seq, hash: anchor.hash };
    for (const head of options.expect ?? []) {
      const known = this.#expect.get(head.seq);
      if ((head.seq === 0 && head.hash !== GENESIS_HASH) || (known !== undefined && known !== head.hash)) {
        this.#fail(head.seq, 'checkpoint_mismatch', `the expected head at seq ${head.seq} is inconsistent`);
        return;
      }
      this.#expect.set(head.seq, head.hash);
      this.#expectTop = Math.max(this.#expectTop, head.seq);
    }
    if (checkpoint === undefined) return;
    if (checkpointKey !== undefined && !verifyCheckpointSignature(checkpoint, checkpointKey)) {
      this.#fail(typeof checkpoint.seq === 'number' ? checkpoint.seq : 0, 'checkpoint_mismatch', 'checkpoint signature is invalid');
    } else if (checkpoint.seq === 0 && checkpoint.hash !== GENESIS_HASH) {
      this.#fail(0, 'checkpoint_mismatch', 'checkpoint at seq 0 does not hold the genesis hash');
    } else if (anchor !== undefined && checkpoint.seq === anchor.seq && checkpoint.hash !== anchor.hash) {
      this.#fail(anchor.seq, 'checkpoint_mismatch', `checkpoint hash differs from the anchor at seq ${anchor.seq}`);
    }
  }

  get failed(): boolean {
    return this.#bad !== null;
  }

  #fail(seq: number, reason: ChainFault, message: string): Bad {
    this.#bad = { seq, reason, message };
    return this.#bad;
  }

  /** Reports a row the source could not decode (ERR_AUDIT_CORRUPT) at `seq`. */
  corrupt(seq: number | null, message: string): Bad {
    if (this.#bad !== null) return this.#bad;
    const expected = this.#expected;
    if (seq !== null && seq > expected) {
      return this.#fail(expected, 'seq_gap', `seq ${expected} is missing (next row has seq ${seq} and is corrupt)`);
    }
    return this.#fail(expected, 'malformed', message);
  }

  /** Checks the next event; returns the first fault (now or earlier), or null. */
  push(event: unknown): Bad | null {
    if (this.#bad !== null) return this.#bad;
    const expected = this.#expected;
    if (!isWellFormed(event)) return this.#fail(expected, 'malformed', `event at position of seq ${expected} is malformed`);
    const seq = event.seq;
    if (seq > expected) return this.#fail(expected, 'seq_gap', `seq ${expected} is missing (next event has seq ${seq})`);
    if (seq < expected) {
      // A repeat of the seq just verified is a fork at that seq; anything older is out of place here.
      const at = seq === expected - 1 ? seq : expected;
      return this.#fail(at, 'seq_order', `seq ${seq} appears where seq ${expected} was expected`);
    }
    if (event.prev_hash !== this.#prevHash) {
      return this.#fail(seq, 'prev_mismatch', `event ${seq} does not link to the hash of event ${seq - 1}`);
    }
    const mark = prunedMark(event as unknown as Record<string, unknown>);
    if (mark === undefined) return this.#fail(seq, 'malformed', `event ${seq} has a malformed pruned mark`);
    let recomputed: string;
    try {
      recomputed = hashEvent(this.#prevHash, event);
    } catch {
      return this.#fail(seq, 'malformed', `event ${seq} cannot be canonicalized`);
    }
    if (mark !== null) {
      // A tombstone: held until the record named by `pruned.by` lists it.
      if (event.type === PRUNE_EVENT_TYPE) return this.#fail(seq, 'prune_mismatch', `event ${seq} is a prune record and cannot be pruned`);
      if (mark.by <= seq) return this.#fail(seq, 'prune_unrecorded', `event ${seq} is pruned by a record (seq ${mark.by}) that is not after it`);
      this.#pending.set(seq, { hash: event.hash, tomb: recomputed, by: mark.by });
      this.#pendingBy.set(mark.by, (this.#pendingBy.get(mark.by) ?? 0) + 1);
    } else {
      if (recomputed !== event.hash) return this.#fail(seq, 'hash_mismatch', `event ${seq} does not match its hash`);
      if (event.type === PRUNE_EVENT_TYPE) {
        const bad = this.#coverTombstones(seq, event as unknown as Record<string, unknown>);
        if (bad !== null) return bad;
      }
    }
    if ((this.#pendingBy.get(seq) ?? 0) > 0) {
      const first = this.#firstHeld(seq);
      return this.#fail(first, 'prune_unrecorded', `event ${first} is pruned by seq ${seq}, which does not record it`);
    }
    this.#pendingBy.delete(seq);
    const checkpoint = this.#checkpoint;
    if (checkpoint !== undefined && seq === checkpoint.seq && event.hash !== checkpoint.hash) {
      return this.#fail(seq, 'checkpoint_mismatch', `event ${seq} differs from the signed checkpoint`);
    }
    const outside = this.#expect.get(seq);
    if (outside !== undefined && event.hash !== outside) {
      return this.#fail(seq, 'checkpoint_mismatch', `event ${seq} differs from the head expected at seq ${seq}`);
    }
    this.#prevHash = event.hash;
    this.#head = { seq, hash: event.hash };
    this.#checked++;
    this.#expected++;
    return null;
  }

  /** Checks the targets of the prune record at `seq` against the tombstones held. */
  #coverTombstones(seq: number, event: Record<string, unknown>): Bad | null {
    const targets = pruneTargetsOf(event);
    if (targets === undefined || targets.some(([target]) => target >= seq)) return this.#fail(seq, 'malformed', `prune record ${seq} is malformed`);
    for (const [target, hash, tomb] of targets) {
      const held = this.#pending.get(target);
      if (held === undefined) continue; // intact (or before the anchor): nothing to vouch for
      if (held.hash !== hash) return this.#fail(target, 'prune_mismatch', `event ${target} has another hash than its prune record (seq ${seq}) lists`);
      if (held.by !== seq) continue; // pruned again later: the later record vouches for the body
      if (held.tomb !== tomb) return this.#fail(target, 'prune_mismatch', `tombstone of event ${target} differs from what its prune record (seq ${seq}) lists`);
      this.#pending.delete(target);
      this.#pendingBy.set(seq, (this.#pendingBy.get(seq) ?? 1) - 1);
      this.#pruned++;
    }
    return null;
  }

  /** Lowest seq of the tombstones held (naming record `by`, or any). */
  #firstHeld(by?: number): number {
    let first = Infinity;
    for (const [seq, held] of this.#pending) if ((by === undefined || held.by === by) && seq < first) first = seq;
    return first;
  }

  /** The verdict once the source is exhausted (or a fault was found). */
  finish(): ChainVerification {
    const base = { checked: this.#checked, head: this.#head, ...(this.#pruned > 0 ? { pruned: this.#pruned } : {}) };
    if (this.#bad !== null) return { ok: false, ...base, firstBad: this.#bad };
    if (this.#pending.size > 0 && this.#openEnd) {
      const last = this.#head?.seq ?? 0;
      // Only tombstones naming a record beyond the range: one naming a seq inside it was checked there.
      if ([...this.#pending.values()].every((held) => held.by > last)) {
        const seqs = [...this.#pending.keys()].sort((x, y) => x - y).slice(0, UNVOUCHED_LISTED);
        return { ...this.#finishOk(base), unvouched: this.#pending.size, unvouchedSeqs: seqs };
      }
    }
    if (this.#pending.size > 0) {
      const first = this.#firstHeld();
      const bad = this.#fail(first, 'prune_unrecorded', `event ${first} is pruned but the log holds no record of it`);
      return { ok: false, ...base, firstBad: bad };
    }
    return this.#finishOk(base);
  }

  #finishOk(base: Pick<ChainVerification, 'checked' | 'head' | 'pruned'>): ChainVerification {
    const last = this.#head === null ? 0 : this.#head.seq;
    if (last < this.#expectTop) {
      const bad = this.#fail(last + 1, 'truncated', `log ends at seq ${last} but seq ${this.#expectTop} was recorded outside the host`);
      return { ok: false, ...base, firstBad: bad };
    }
    const checkpoint = this.#checkpoint;
    if (checkpoint === undefined) return { ok: true, ...base };
    if (last < checkpoint.seq) {
      const bad = this.#fail(last + 1, 'truncated', `log ends at seq ${last} but the checkpoint attests seq ${checkpoint.seq}`);
      return { ok: false, ...base, firstBad: bad };
    }
    return { ok: true, ...base, unattested: last - checkpoint.seq };
  }
}

function iteratorOf(events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>): AsyncIterator<AuditEvent> | Iterator<AuditEvent> {
  if (Symbol.asyncIterator in events) return events[Symbol.asyncIterator]();
  return events[Symbol.iterator]();
}

function corruptMessage(error: unknown): string {
  return isAirlockError(error) ? error.message : 'corrupt row';
}

/**
 * Verifies a log given in seq order. Never throws for a bad log (the answer is a value);
 * rethrows faults of the source other than ERR_AUDIT_CORRUPT rows, which are reported as
 * `malformed` at their seq. Stops reading at the first fault.
 */
export async function verifyChain(
  events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>,
  options: VerifyChainOptions = {},
): Promise<ChainVerification> {
  const verifier = new ChainVerifier(options);
  if (verifier.failed) return verifier.finish();
  const iterator = iteratorOf(events);
  let exhausted = false;
  try {
    for (;;) {
      let step: IteratorResult<AuditEvent>;
      try {
        step = await iterator.next();
      } catch (error) {
        exhausted = true;
        if (!isCorruptRow(error)) throw error;
        verifier.corrupt(corruptSeq(error), corruptMessage(error));
        break;
      }
      if (step.done === true) {
        exhausted = true;
        break;
      }
      if (verifier.push(step.value) !== null) break;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
  return verifier.finish();
}

/** Synchronous verifyChain over a synchronous source. */
export function verifyChainSync(events: Iterable<AuditEvent>, options: VerifyChainOptions = {}): ChainVerification {
  const verifier = new ChainVerifier(options);
  if (verifier.failed) return verifier.finish();
  const iterator = events[Symbol.iterator]();
  let exhausted = false;
  try {
    for (;;) {
      let step: IteratorResult<AuditEvent>;
      try {
        step = iterator.next();
      } catch (error) {
        exhausted = true;
        if (!isCorruptRow(error)) throw error;
        verifier.corrupt(corruptSeq(error), corruptMessage(error));
        break;
      }
      if (step.done === true) {
        exhausted = true;
        break;
      }
      if (verifier.push(step.value) !== null) break;
    }
  } finally {
    if (!exhausted) iterator.return?.();
  }
  return verifier.finish();
}
