/**
 * Audit search: the query auditors run over the log (time range, tenant, user, agent, tool,
 * event type, decision outcome, rule id), its validation, the matching rule every adapter
 * applies, and the seq-cursor paging shared by all adapters.
 *
 * Paging is by seq cursor and bounded: one call examines at most SEARCH_SCAN_WINDOW
 * consecutive seqs after the cursor (seqs are contiguous from 1 to the head), so a search
 * that matches rarely costs the same per call as one that matches often. A page may
 * therefore hold fewer than `limit` events (even none) while `nextAfterSeq` is not null:
 * the caller keeps paging until `nextAfterSeq` is null.
 *
 * - Oldest first (default): events with seq > afterSeq, ascending.
 * - Newest first: events with seq < afterSeq (default: from the head), descending.
 *
 * Adapters may narrow candidates with SQL, but the events they return must satisfy
 * matchesSearch (the single definition of a match), and candidates count against `limit`.
 */
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import { canonicalJson } from './fast-canonical.ts';

/** Most events one page returns. */
export const SEARCH_MAX_LIMIT = 1000;
export const SEARCH_DEFAULT_LIMIT = 100;
/** Most consecutive seqs one search call examines. */
export const SEARCH_SCAN_WINDOW = 20_000;

export const SEARCH_OUTCOMES = ['allow', 'deny', 'approval_required'] as const;

export interface AuditSearchQuery {
  /** ISO time, inclusive: events the store accepted at or after it. */
  from?: string;
  /** ISO time, exclusive: events accepted before it. */
  to?: string;
  tenant?: string;
  user?: string;
  agent?: string;
  tool?: string;
  /** Event type (`decision`, `result`, `approval.approved`, ...). */
  type?: string;
  /** Decision outcome: allow, deny or approval_required. */
  outcome?: string;
  /** A policy id among the decision's reasons (`decision.reasons[].policy_id`). */
  rule?: string;
  /** Cursor: the `nextAfterSeq` of the previous page. */
  afterSeq?: number;
  /** 1..SEARCH_MAX_LIMIT, default SEARCH_DEFAULT_LIMIT. */
  limit?: number;
  order?: 'oldest' | 'newest';
}

/** A validated query: times normalized to the stores' ISO form, limit and order settled. */
export interface NormalizedSearch {
  from: string | null;
  to: string | null;
  tenant: string | null;
  user: string | null;
  agent: string | null;
  tool: string | null;
  type: string | null;
  outcome: string | null;
  rule: string | null;
  afterSeq: number | null;
  limit: number;
  order: 'oldest' | 'newest';
}

export interface AuditSearchPage {
  events: AuditEvent[];
  /** Pass as `afterSeq` for the next page; null when the search reached the end of the log (as of this call). */
  nextAfterSeq: number | null;
}

/** The seqs one call examines, inclusive, in the order given. */
export interface SearchPlan {
  lo: number;
  hi: number;
  descending: boolean;
}

function invalid(message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_SEARCH_INVALID', message, { status: 400 });
}

function isoOf(value: unknown, name: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid(`${name} must be an ISO-8601 time`);
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid(`${name} ${JSON.stringify(value.slice(0, 60))} is not an ISO-8601 time`);
  return new Date(ms).toISOString();
}

function textOf(value: unknown, name: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 512) throw invalid(`${name} must be a string of at most 512 characters`);
  return value;
}

/** Validates a query (ERR_AUDIT_SEARCH_INVALID, 400, on a bad filter, cursor or limit). */
export function normalizeSearch(query: AuditSearchQuery = {}): NormalizedSearch {
  const limit = query.limit ?? SEARCH_DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT) throw invalid(`limit must be an integer from 1 to ${SEARCH_MAX_LIMIT}`);
  const afterSeq = query.afterSeq ?? null;
  if (afterSeq !== null && (!Number.isSafeInteger(afterSeq) || afterSeq < 0)) throw invalid('after_seq must be a non-negative integer');
  const order = query.order ?? 'oldest';
  if (order !== 'oldest' && order !== 'newest') throw invalid('order must be oldest or newest');
  const outcome = textOf(query.outcome, 'outcome');
  if (outcome !== null && !(SEARCH_OUTCOMES as readonly string[]).includes(outcome)) throw invalid(`outcome must be one of ${SEARCH_OUTCOMES.join(', ')}`);
  return {
    from: isoOf(query.from, 'from'),
    to: isoOf(query.to, 'to'),
    tenant: textOf(query.tenant, 'tenant'),
    user: textOf(query.user, 'user'),
    agent: textOf(query.agent, 'agent'),
    tool: textOf(query.tool, 'tool'),
    type: textOf(query.type, 'type'),
    outcome,
    rule: textOf(query.rule, 'rule'),
    afterSeq,
    limit,
    order,
  };
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The decision outcome of an event (`decision.outcome`), if it has one. */
export function outcomeOf(event: AuditEvent): string | null {
  const outcome = record(event.decision)?.outcome;
  return typeof outcome === 'string' ? outcome : null;
}

/** The policy ids among the decision's reasons. */
export function rulesOf(event: AuditEvent): string[] {
  const reasons = record(event.decision)?.reasons;
  if (!Array.isArray(reasons)) return [];
  return reasons.map((r) => record(r)?.policy_id).filter((id): id is string => typeof id === 'string');
}

/** Whether an event satisfies every filter of the query (the cursor aside). */
export function matchesSearch(event: AuditEvent, q: NormalizedSearch): boolean {
  if (q.from !== null && event.ts < q.from) return false;
  if (q.to !== null && event.ts >= q.to) return false;
  if (q.tenant !== null && event.actor.tenant !== q.tenant) return false;
  if (q.user !== null && event.actor.user !== q.user) return false;
  if (q.agent !== null && event.actor.agent !== q.agent) return false;
  if (q.tool !== null && event.tool !== q.tool) return false;
  if (q.type !== null && event.type !== q.type) return false;
  if (q.outcome !== null && outcomeOf(event) !== q.outcome) return false;
  if (q.rule !== null && !rulesOf(event).includes(q.rule)) return false;
  return true;
}

/** The seq window one call examines, given the head seq (0 for an empty log); null when there is nothing left. */
export function planSearch(q: NormalizedSearch, headSeq: number): SearchPlan | null {
  if (q.order === 'oldest') {
    const lo = (q.afterSeq ?? 0) + 1;
    if (lo > headSeq) return null;
    return { lo, hi: Math.min(headSeq, lo + SEARCH_SCAN_WINDOW - 1), descending: false };
  }
  const hi = Math.min(headSeq, (q.afterSeq ?? headSeq + 1) - 1);
  if (hi < 1) return null;
  return { lo: Math.max(1, hi - SEARCH_SCAN_WINDOW + 1), hi, descending: true };
}

/**
 * The page of a call: `candidates` are the rows the adapter fetched in plan order (at most
 * q.limit, each inside the plan's window); the events are those matching the query.
 */
export function finishSearch(q: NormalizedSearch, plan: SearchPlan | null, headSeq: number, candidates: AuditEvent[]): AuditSearchPage {
  if (plan === null) return { events: [], nextAfterSeq: null };
  const events = candidates.filter((event) => matchesSearch(event, q));
  let next: number | null;
  if (candidates.length >= q.limit) {
    const last = (candidates.at(-1) as AuditEvent).seq;
    next = plan.descending ? (last > 1 ? last : null) : last < headSeq ? last : null;
  } else {
    next = plan.descending ? (plan.lo > 1 ? plan.lo : null) : plan.hi < headSeq ? plan.hi : null;
  }
  return { events, nextAfterSeq: next };
}

/** Who is reading: always one tenant; `user` set when the reader may see only their own calls. */
export interface SearchScope {
  tenant: string;
  user?: string;
}

/**
 * A search confined to a reader's scope: the scope's tenant (and user) replace the query's, a
 * query naming another tenant (or another user, for a user-scoped reader) finds nothing, and
 * every returned event is checked against the scope once more. Never another tenant's events.
 */
export async function searchScoped(store: { search(query: AuditSearchQuery): Promise<AuditSearchPage> }, query: AuditSearchQuery, scope: SearchScope): Promise<AuditSearchPage> {
  normalizeSearch(query); // a bad query is refused the same way in or out of scope
  const otherTenant = query.tenant !== undefined && query.tenant !== '' && query.tenant !== scope.tenant;
  const otherUser = scope.user !== undefined && query.user !== undefined && query.user !== '' && query.user !== scope.user;
  if (otherTenant || otherUser) return { events: [], nextAfterSeq: null };
  const page = await store.search({ ...query, tenant: scope.tenant, ...(scope.user === undefined ? {} : { user: scope.user }) });
  const events = page.events.filter((e) => e.actor.tenant === scope.tenant && (scope.user === undefined || e.actor.user === scope.user));
  return { events, nextAfterSeq: page.nextAfterSeq };
}

/** An event as one line of a JSONL export: its canonical JSON (the stored body plus `hash`). */
export function canonicalEventLine(event: AuditEvent): string {
  return canonicalJson(event);
}
