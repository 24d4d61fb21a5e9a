/**
 * Which events an id relates to: the one rule every store's findRelated and the lineage
 * builder share. An event relates to an id when its request, action, parent action,
 * session, trace or event id is that id, or when its `refs` hold it.
 */
import type { AuditEvent } from '../core/types.ts';

export function relatesTo(event: AuditEvent, id: string): boolean {
  return relatesByLineageId(event, id) || (Array.isArray(event.refs) && event.refs.includes(id));
}

/** The id is one of the event's own lineage ids (not only in its refs). */
export function relatesByLineageId(event: AuditEvent, id: string): boolean {
  return (
    event.request_id === id ||
    event.action_id === id ||
    event.parent_action_id === id ||
    event.session_id === id ||
    event.trace_id === id ||
    event.event_id === id
  );
}

/** Most actions whose events a lookup by a ref pulls in (see findLineageEvents). */
export const MAX_EXPANDED_ACTIONS = 100;

/**
 * The events of a lineage: those related to `id`, plus — when the id is one a call's decision
 * records in its refs (decision id, approval, override, jti, manifest hash) — every event of
 * those actions (their intent, result...), one indexed lookup per action, at most
 * MAX_EXPANDED_ACTIONS of them. In seq order, each once.
 */
export async function findLineageEvents(lookup: (id: string) => Promise<AuditEvent[]>, id: string): Promise<AuditEvent[]> {
  const direct = await lookup(id);
  const actions = [...new Set(direct.filter((e) => e.action_id !== null && !relatesByLineageId(e, id)).map((e) => e.action_id as string))];
  if (actions.length === 0) return direct;
  const bySeq = new Map(direct.map((e) => [e.seq, e]));
  for (const action of actions.slice(0, MAX_EXPANDED_ACTIONS)) {
    for (const event of await lookup(action)) if (event.action_id === action) bySeq.set(event.seq, event);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}
