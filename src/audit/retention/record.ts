/**
 * The prune record: the `audit.pruned` event a prune appends to the chain in the same
 * transaction as the tombstones it writes. It says what was pruned, when, under which policy,
 * and pins every tombstone: for each pruned event its seq, its original hash (which the
 * tombstone keeps and the next event links to) and the hash of the tombstone body (so the
 * kept skeleton cannot be edited afterwards). verifyChain accepts a tombstone only when the
 * record named in its `pruned.by` lists exactly that seq, hash and tombstone hash.
 *
 * One record covers at most MAX_PRUNE_TARGETS events (a prune of more writes several), so an
 * event stays bounded (about 160 bytes per target).
 */
import { newId } from '../../core/ids.ts';
import type { JsonValue } from '../../core/canonical.ts';
import type { AuditEventInput } from '../../core/types.ts';
import type { Checkpoint } from '../checkpoint.ts';
import { PRUNE_EVENT_TYPE } from './classes.ts';

/** Most events one `audit.pruned` event covers. */
export const MAX_PRUNE_TARGETS = 256;

/** [seq, original hash, tombstone hash]. */
export type PruneTarget = [number, string, string];

export interface PruneRecord {
  /** The retention policy applied (as configured) and its canonical hash. */
  policy: JsonValue;
  /** Per class (and `events:<type>` rule): events with `ts` before this were due. */
  horizon: Record<string, string>;
  /** The head verified (from genesis) before this prune started. */
  verified: { seq: number; hash: string } | null;
  /** That head signed with the checkpoint key (null without a key). */
  checkpoint: Checkpoint | null;
  /** Who ran it: `scheduler` (serve) or `cli`. */
  by: string;
  targets: PruneTarget[];
}

const HASH = /^sha256:[0-9a-f]{64}$/;

/** The targets of an `audit.pruned` event, or undefined when the record is malformed. */
export function pruneTargetsOf(event: Record<string, unknown>): PruneTarget[] | undefined {
  const prune = event.prune;
  if (typeof prune !== 'object' || prune === null || Array.isArray(prune)) return undefined;
  const targets = (prune as Record<string, unknown>).targets;
  if (!Array.isArray(targets) || targets.length > MAX_PRUNE_TARGETS) return undefined;
  let last = 0;
  for (const target of targets) {
    if (!Array.isArray(target) || target.length !== 3) return undefined;
    const [seq, hash, tomb] = target as unknown[];
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= last) return undefined;
    if (typeof hash !== 'string' || !HASH.test(hash) || typeof tomb !== 'string' || !HASH.test(tomb)) return undefined;
    last = seq;
  }
  return targets as PruneTarget[];
}

/** The `audit.pruned` event input for one batch (the gateway is its actor). */
export function pruneEventInput(record: PruneRecord): AuditEventInput {
  return {
    type: PRUNE_EVENT_TYPE,
    request_id: newId('req'),
    trace_id: newId('trc'),
    session_id: null,
    action_id: null,
    parent_action_id: null,
    actor: { user: null, tenant: null, roles: [], agent: null },
    prune: record as unknown as JsonValue,
  } as AuditEventInput;
}
