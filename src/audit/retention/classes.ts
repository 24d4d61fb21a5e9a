/**
 * Audit data classes: which parts of an audit event hold personal or free-text data that a
 * retention policy may remove, and the tombstone an event becomes once they are removed. The
 * table below is the one place that says so (docs/audit.md, "Retention"):
 *
 * - `arguments`: `args_summary` (the safe summary of a tool call's arguments).
 * - `content`:   free text people or models wrote: the preview of the caller's intent
 *                (`decision.intent.preview`) and the `justification`, `note`, `comment`, `text`
 *                and `preview` members of `data` (operators' justifications and notes).
 * - `identity`:  the user identifier (`actor.user`, set to null) and identity claims copied
 *                from a request body or prompt (`data.mismatches` of identity.mismatch).
 * - `results`:   what a tool returned, in `result` and `content.registered` events: every
 *                member of their `data` except the security telemetry and labels kept below.
 * - `detail`:    everything left in `data` (any event type): ids other records point to live
 *                there (approval, override), so `airlock audit drill` reports such links as
 *                pruned once it is gone. Off unless configured.
 * Everything else is the security skeleton, never removed: seq, event_id, ts, type, prev_hash,
 * request/trace/session/action ids, tenant, roles, agent, tool, model and config ids, hashes,
 * the decision (outcome, code, rule ids, obligations), result code, timings, refs.
 * `audit.pruned` events (the prune records) are never pruned.
 *
 * A tombstone is the event's canonical body minus the removed fields plus
 * `pruned: {by, classes}`: `by` is the seq of the `audit.pruned` event that recorded the
 * latest removal, `classes` every class removed so far (sorted). Its `hash` stays the original.
 */
import type { AuditEvent } from '../../core/types.ts';

export const DATA_CLASSES = ['arguments', 'content', 'detail', 'identity', 'results'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** Type of the event that records a prune (never pruned itself). */
export const PRUNE_EVENT_TYPE = 'audit.pruned';

export interface PrunedMark {
  /** Seq of the `audit.pruned` event that recorded the latest removal. */
  by: number;
  /** Every class removed from this event so far, sorted. */
  classes: DataClass[];
}

type Body = Record<string, unknown>;

const isObject = (value: unknown): value is Body => typeof value === 'object' && value !== null && !Array.isArray(value);

export function isDataClass(value: unknown): value is DataClass {
  return typeof value === 'string' && (DATA_CLASSES as readonly string[]).includes(value);
}

/** The `pruned` mark of an event, or null when it is intact; undefined when the mark is malformed. */
export function prunedMark(event: Body): PrunedMark | null | undefined {
  if (!('pruned' in event)) return null;
  const mark = event.pruned;
  if (!isObject(mark) || Object.keys(mark).length !== 2) return undefined;
  const { by, classes } = mark;
  if (typeof by !== 'number' || !Number.isSafeInteger(by) || by < 1) return undefined;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every(isDataClass)) return undefined;
  const sorted = [...new Set(classes)].sort();
  if (sorted.length !== classes.length || sorted.some((c, i) => c !== classes[i])) return undefined;
  return { by, classes: classes as DataClass[] };
}

/** Free-text members of `data` (class `content`). */
const FREE_TEXT = ['justification', 'note', 'comment', 'text', 'preview'] as const;
/** Event types whose `data` records what a tool returned (class `results`). */
const RESULT_TYPES = new Set(['result', 'content.registered']);
/** Members of their `data` that are security telemetry or labels, kept. */
const RESULT_KEPT = new Set(['connector', 'egress', 'sandbox', 'content_id', 'hash', 'chars', 'trust', 'trust_tier', 'classification', 'kind', 'tool']);

/** `event` without the fields of `cls` (nested objects copied where changed), and whether anything was removed. */
function withoutClass(event: Body, cls: DataClass): { out: Body; changed: boolean } {
  if (event.type === PRUNE_EVENT_TYPE) return { out: event, changed: false };
  const out: Body = { ...event };
  let changed = false;
  const data = isObject(out.data) ? out.data : null;
  const dropData = (keys: (key: string) => boolean) => {
    if (data === null) return;
    const kept = Object.fromEntries(Object.entries(data).filter(([key]) => !keys(key)));
    if (Object.keys(kept).length !== Object.keys(data).length) {
      out.data = kept;
      changed = true;
    }
  };
  switch (cls) {
    case 'arguments':
      if ('args_summary' in out) {
        delete out.args_summary;
        changed = true;
      }
      break;
    case 'content': {
      const decision = isObject(out.decision) ? out.decision : null;
      if (decision !== null && isObject(decision.intent) && 'preview' in decision.intent) {
        const { preview: _removed, ...intent } = decision.intent;
        out.decision = { ...decision, intent };
        changed = true;
      }
      dropData((key) => (FREE_TEXT as readonly string[]).includes(key));
      break;
    }
    case 'identity':
      if (isObject(out.actor) && out.actor.user !== null && out.actor.user !== undefined) {
        out.actor = { ...out.actor, user: null };
        changed = true;
      }
      if (out.type === 'identity.mismatch') dropData((key) => key === 'mismatches');
      break;
    case 'results':
      if (!RESULT_TYPES.has(String(out.type)) || !('data' in out) || out.data === null) break;
      if (data === null) {
        delete out.data;
        changed = true;
      } else dropData((key) => !RESULT_KEPT.has(key));
      break;
    case 'detail':
      if ('data' in out && out.data !== null) {
        delete out.data;
        changed = true;
      }
      break;
  }
  return { out, changed };
}

/** Whether `event` still holds any data of `cls` (a class already removed holds none). */
export function holdsClass(event: Body, cls: DataClass): boolean {
  return withoutClass(event, cls).changed;
}

/**
 * The tombstone of `event` (an event as read, with `hash`, intact or already a tombstone) once
 * `classes` are removed by the prune recorded at seq `by`. The result has no `hash`: it is the
 * body the store keeps (its hash column keeps the original hash).
 */
export function tombstoneOf(event: AuditEvent | Body, classes: readonly DataClass[], by: number): Body {
  const { hash: _hash, pruned: _old, ...rest } = event as Body;
  const before = prunedMark(event as Body);
  let out: Body = rest;
  for (const cls of classes) out = withoutClass(out, cls).out;
  const all = [...new Set([...(before?.classes ?? []), ...classes])].sort() as DataClass[];
  out.pruned = { by, classes: all };
  return out;
}
