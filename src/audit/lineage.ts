/**
 * Lineage: rebuilds the story of one request, action, session or trace from audit events as
 * a tree — request -> actions (nested by parent_action_id) -> events in seq order — so a
 * single action can be reconstructed end to end (who asked, what decided, what ran, what
 * came back). Pure functions over events; rendering lives in render-lineage.ts.
 */
import type { AuditEvent } from '../core/types.ts';
import { relatesTo } from './related.ts';

export interface LineageAction {
  action_id: string;
  parent_action_id: string | null;
  /** Request of the action's first event. */
  request_id: string;
  /** Tool named by the action's events (first non-null). */
  tool: string | null;
  events: AuditEvent[];
  children: LineageAction[];
}

export interface LineageRequest {
  request_id: string;
  session_id: string | null;
  trace_id: string;
  /** Events of the request that belong to no action (e.g. a denied request). */
  events: AuditEvent[];
  /** Actions of this request whose parent is not part of this tree. */
  actions: LineageAction[];
}

export interface LineageTree {
  root_id: string;
  /** Requests in order of their first event (a request whose actions all nest elsewhere is left out). */
  requests: LineageRequest[];
  /** Events placed in the tree. */
  event_count: number;
}

const touches = relatesTo;

/** Events that touch `rootId`, plus every event of an action descending from one of them. */
function selectEvents(events: readonly AuditEvent[], rootId: string): AuditEvent[] {
  const seeds = events.filter((e) => touches(e, rootId));
  const actions = new Set<string>();
  for (const e of seeds) if (e.action_id !== null) actions.add(e.action_id);
  for (let grown = true; grown; ) {
    grown = false;
    for (const e of events) {
      if (e.action_id !== null && e.parent_action_id !== null && actions.has(e.parent_action_id) && !actions.has(e.action_id)) {
        actions.add(e.action_id);
        grown = true;
      }
    }
  }
  const picked = new Map<number, AuditEvent>();
  for (const e of events) {
    if (touches(e, rootId) || (e.action_id !== null && actions.has(e.action_id))) picked.set(e.seq, e);
  }
  return [...picked.values()].sort((a, b) => a.seq - b.seq);
}

export function buildLineage(events: readonly AuditEvent[], rootId: string): LineageTree {
  const selected = selectEvents(events, rootId);
  const requests = new Map<string, LineageRequest>();
  const actions = new Map<string, LineageAction>();
  for (const e of selected) {
    if (!requests.has(e.request_id)) {
      requests.set(e.request_id, { request_id: e.request_id, session_id: e.session_id, trace_id: e.trace_id, events: [], actions: [] });
    }
    if (e.action_id === null) {
      (requests.get(e.request_id) as LineageRequest).events.push(e);
      continue;
    }
    let action = actions.get(e.action_id);
    if (action === undefined) {
      action = { action_id: e.action_id, parent_action_id: e.parent_action_id, request_id: e.request_id, tool: null, events: [], children: [] };
      actions.set(e.action_id, action);
    }
    action.events.push(e);
    action.tool ??= typeof e.tool === 'string' ? e.tool : null;
    action.parent_action_id ??= e.parent_action_id;
  }
  // Nest actions under their parent when the parent is in the tree and no cycle forms.
  const isAncestor = (candidate: string, of: string): boolean => {
    const seen = new Set<string>();
    for (let cur: string | null = candidate; cur !== null && !seen.has(cur); cur = actions.get(cur)?.parent_action_id ?? null) {
      if (cur === of) return true;
      seen.add(cur);
    }
    return false;
  };
  for (const action of actions.values()) {
    const parent = action.parent_action_id === null ? undefined : actions.get(action.parent_action_id);
    if (parent !== undefined && !isAncestor(parent.action_id, action.action_id)) parent.children.push(action);
    else (requests.get(action.request_id) as LineageRequest).actions.push(action);
  }
  // A request whose only actions nest under another request's action has nothing left to show.
  const nonEmpty = [...requests.values()].filter((r) => r.events.length > 0 || r.actions.length > 0);
  return { root_id: rootId, requests: nonEmpty, event_count: selected.length };
}
