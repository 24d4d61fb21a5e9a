/**
 * renderLineage: a lineage tree as indented text for the terminal. One line per event with
 * seq, time, type, tool, outcome/code, determining policy ids and result code. Every value
 * comes from the log, which may hold attacker-chosen text, so control and bidi characters are
 * escaped and long values cut: the output can never drive the terminal.
 */
import type { AuditEvent } from '../core/types.ts';
import type { LineageAction, LineageTree } from './lineage.ts';

const MAX_VALUE = 120;
// C0, DEL, C1, and the Unicode bidi/format controls that can reorder what a terminal shows.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** Makes a log value safe and short for one terminal line. */
export function safeText(value: unknown): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const escaped = raw.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > MAX_VALUE ? `${escaped.slice(0, MAX_VALUE - 1)}…` : escaped;
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function policyIds(decision: Record<string, unknown>): string[] {
  const reasons = Array.isArray(decision.reasons) ? decision.reasons : [];
  const ids: string[] = [];
  for (const reason of reasons) {
    const id = record(reason)?.policy_id;
    if (typeof id === 'string' && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** `#12  2026-01-01T00:00:00.000Z  decision  crm.export  allow/policy.permit  [p1, p2]  result=ok` */
export function renderEventLine(event: AuditEvent): string {
  const parts = [`#${event.seq}`, safeText(event.ts), safeText(event.type)];
  if (typeof event.tool === 'string') parts.push(safeText(event.tool));
  const decision = record(event.decision);
  if (decision !== null) {
    const outcome = typeof decision.outcome === 'string' ? decision.outcome : '?';
    const code = typeof decision.code === 'string' ? decision.code : '?';
    parts.push(`${safeText(outcome)}/${safeText(code)}`);
    const ids = policyIds(decision);
    if (ids.length > 0) parts.push(`[${ids.map(safeText).join(', ')}]`);
  }
  if (typeof event.result_code === 'string') parts.push(`result=${safeText(event.result_code)}`);
  // A tombstone (retention): shown as pruned, with what was removed and the record that says so.
  const pruned = record(event.pruned);
  if (pruned !== null && Array.isArray(pruned.classes)) {
    parts.push(`(pruned ${pruned.classes.map((c) => safeText(String(c))).join(', ')} by #${safeText(String(pruned.by))})`);
  }
  return parts.join('  ');
}

function renderAction(action: LineageAction, requestId: string, prefix: string, last: boolean, lines: string[]): void {
  const tool = action.tool === null ? '' : `  tool ${safeText(action.tool)}`;
  const parent = action.parent_action_id === null ? '' : `  (child of ${safeText(action.parent_action_id)})`;
  const request = action.request_id === requestId ? '' : `  request ${safeText(action.request_id)}`;
  lines.push(`${prefix}${last ? '└─ ' : '├─ '}action ${safeText(action.action_id)}${tool}${parent}${request}`);
  const inner = prefix + (last ? '   ' : '│  ');
  renderItems(action.events, action.children, action.request_id, inner, lines);
}

function renderItems(
  events: readonly AuditEvent[],
  actions: readonly LineageAction[],
  requestId: string,
  prefix: string,
  lines: string[],
): void {
  // Events and child actions interleave by seq (an action sits where its first event is).
  type Item = { seq: number; event?: AuditEvent; action?: LineageAction };
  const items: Item[] = [
    ...events.map((event) => ({ seq: event.seq, event })),
    ...actions.map((action) => ({ seq: action.events[0]?.seq ?? Number.MAX_SAFE_INTEGER, action })),
  ].sort((a, b) => a.seq - b.seq);
  items.forEach((item, i) => {
    const last = i === items.length - 1;
    if (item.event !== undefined) lines.push(`${prefix}${last ? '└─ ' : '├─ '}${renderEventLine(item.event)}`);
    else if (item.action !== undefined) renderAction(item.action, requestId, prefix, last, lines);
  });
}

export function renderLineage(tree: LineageTree): string {
  const lines = [`lineage of ${safeText(tree.root_id)}: ${tree.event_count} event${tree.event_count === 1 ? '' : 's'}`];
  if (tree.requests.length === 0) lines.push('(no events)');
  for (const request of tree.requests) {
    const session = request.session_id === null ? '' : `  session ${safeText(request.session_id)}`;
    lines.push(`request ${safeText(request.request_id)}${session}  trace ${safeText(request.trace_id)}`);
    renderItems(request.events, request.actions, request.request_id, '', lines);
  }
  return `${lines.join('\n')}\n`;
}
