/**
 * Which events an id relates to: the one rule every store's findRelated and the lineage
 * builder share. An event relates to an id when its request, action, parent action,
 * session, trace or event id is that id, or when its `refs` hold it.
 */
import type { AuditEvent } from '../core/types.ts';

export function relatesTo(event: AuditEvent, id: string): boolean {
  return (
    event.request_id === id ||
    event.action_id === id ||
    event.parent_action_id === id ||
    event.session_id === id ||
    event.trace_id === id ||
    event.event_id === id ||
    (Array.isArray(event.refs) && event.refs.includes(id))
  );
}
