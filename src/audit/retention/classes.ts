/**
 * Audit data classes: which parts of an audit event hold personal or free-text data that a
 * retention policy may remove, and the tombstone an event becomes once they are removed.
 *
 * Classes (a field belongs to exactly one; everything else is the security skeleton, kept):
 * - `arguments`: `args_summary` (the safe summary of a tool call's arguments).
 * - `results`:   `data` of `result` events (what a tool call returned, summarized).
 * - `content`:   `data` of every other event (free-form detail, snippets, justifications) and
 *                the preview of the caller's free-text intent (`decision.intent.preview`).
 * - `identity`:  the user identifier (`actor.user`, set to null).
 * The skeleton — seq, event_id, ts, type, prev_hash, request/trace/session/action ids, tenant,
 * roles, agent, tool, hashes, decision outcome and rule ids, result code, timings, refs — is
 * never removed: lineage and the chain need it. `audit.pruned` events (the prune record) are
 * never pruned.
 *
 * A tombstone is the event's canonical body minus the removed fields plus
 * `pruned: {by, classes}`: `by` is the seq of the `audit.pruned` event that recorded the
 * removal, `classes` every class removed so far (sorted). Its `hash` stays the original one.
 */
import type { AuditEvent } from '../../core/types.ts';

export const DATA_CLASSES = ['arguments', 'content', 'identity', 'results'] as const;
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

/** Whether `event` holds any data of `cls` (a class already removed holds none). */
export function holdsClass(event: Body, cls: DataClass): boolean {
  if (event.type === PRUNE_EVENT_TYPE) return false;
  switch (cls) {
    case 'arguments':
      return event.args_summary !== undefined && event.args_summary !== null;
    case 'results':
      return event.type === 'result' && event.data !== undefined && event.data !== null;
    case 'content': {
      if (event.type !== 'result' && event.data !== undefined && event.data !== null) return true;
      const intent = isObject(event.decision) ? event.decision.intent : undefined;
      return isObject(intent) && intent.preview !== undefined;
    }
    case 'identity':
      return isObject(event.actor) && event.actor.user !== null && event.actor.user !== undefined;
  }
}

/** A copy of `event` without the fields of `cls` (nested objects copied where changed). */
function withoutClass(event: Body, cls: DataClass): Body {
  const out: Body = { ...event };
  switch (cls) {
    case 'arguments':
      delete out.args_summary;
      break;
    case 'results':
      if (out.type === 'result') delete out.data;
      break;
    case 'content':
      if (out.type !== 'result') delete out.data;
      if (isObject(out.decision) && isObject(out.decision.intent) && 'preview' in out.decision.intent) {
        const { preview: _removed, ...intent } = out.decision.intent;
        out.decision = { ...out.decision, intent };
      }
      break;
    case 'identity':
      if (isObject(out.actor)) out.actor = { ...out.actor, user: null };
      break;
  }
  return out;
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
  for (const cls of classes) out = withoutClass(out, cls);
  const all = [...new Set([...(before?.classes ?? []), ...classes])].sort() as DataClass[];
  out.pruned = { by, classes: all };
  return out;
}
