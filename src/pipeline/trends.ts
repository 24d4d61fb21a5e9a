/**
 * Trends for security leads (the console's Trends page, GET /v1/audit/trends): over the last
 * N weeks of one tenant — blocked high-risk attempts per week, the rules that trigger most,
 * overrides opened per week with the count and median age of those open now, median time a
 * reviewer took on an approval, and the share of calls whose lineage is complete. A pure
 * computation over the tenant's decision and result events, approval requests and overrides;
 * tenantTrends reads those of one tenant from the gateway's stores.
 */
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent, Principal, RegisteredTool, SideEffectClass } from '../core/types.ts';
import type { ApprovalRequest, ApprovalStore } from '../approvals/index.ts';
import type { Override, OverrideStore } from '../overrides/index.ts';
import { overrideState } from '../overrides/index.ts';
import type { AuditSearchPage, AuditSearchQuery } from '../audit/index.ts';
import { SEARCH_MAX_LIMIT, outcomeOf, rulesOf, searchScoped } from '../audit/index.ts';

export const TRENDS_MAX_WEEKS = 26;
export const TRENDS_DEFAULT_WEEKS = 8;
const WEEK_MS = 7 * 86_400_000;

/** Side-effect classes whose refused calls count as blocked high-risk attempts. */
export const HIGH_RISK_CLASSES: readonly SideEffectClass[] = ['write', 'irreversible', 'external_send'];

export interface TrendsInput {
  now: number;
  weeks: number;
  /** The tenant's `decision` and `result` events at or after `now - weeks` (any order). */
  events: AuditEvent[];
  approvals: ApprovalRequest[];
  overrides: Override[];
  /** Side-effect class of a tool by name (undefined: unknown tool, not counted as high risk). */
  sideEffectOf(tool: string): SideEffectClass | undefined;
}

export interface WeekCount {
  /** ISO date (UTC) of the first day of the week window. */
  week_start: string;
  count: number;
}

export interface Trends {
  weeks: number;
  from: string;
  to: string;
  blocked_high_risk: WeekCount[];
  top_rules: Array<{ rule: string; count: number }>;
  overrides: { opened: WeekCount[]; open_now: number; median_open_age_seconds: number };
  approvals: { decided: number; median_decision_seconds: number | null; pending_now: number };
  lineage: { calls: number; complete: number; share: number | null };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * A call's lineage is complete when its decision event names the principal, the policy version
 * and the arguments' hash, and — when it was allowed — a result event of the same action exists.
 */
function completeCall(decision: AuditEvent, resulted: Set<string>): boolean {
  const d = decision.decision as { policy_version?: unknown } | undefined;
  const named = decision.actor.user !== null && typeof d?.policy_version === 'string' && typeof decision.args_hash === 'string';
  if (!named) return false;
  if (outcomeOf(decision) !== 'allow') return true;
  return decision.action_id !== null && resulted.has(decision.action_id);
}

export function computeTrends(input: TrendsInput): Trends {
  const { now, weeks } = input;
  const start = now - weeks * WEEK_MS;
  const buckets = (): WeekCount[] => Array.from({ length: weeks }, (_, i) => ({ week_start: new Date(start + i * WEEK_MS).toISOString().slice(0, 10), count: 0 }));
  const bucketOf = (at: number): number | null => (at < start || at >= now ? null : Math.min(weeks - 1, Math.floor((at - start) / WEEK_MS)));

  const blocked = buckets();
  const rules = new Map<string, number>();
  const resulted = new Set<string>();
  for (const event of input.events) if (event.type === 'result' && event.action_id !== null) resulted.add(event.action_id);
  let calls = 0;
  let complete = 0;
  for (const event of input.events) {
    if (event.type !== 'decision') continue;
    const at = Date.parse(event.ts);
    const bucket = bucketOf(at);
    if (bucket === null) continue;
    calls += 1;
    if (completeCall(event, resulted)) complete += 1;
    const outcome = outcomeOf(event);
    if (outcome === 'allow') continue;
    for (const rule of new Set(rulesOf(event))) rules.set(rule, (rules.get(rule) ?? 0) + 1);
    const sideEffect = event.tool == null ? undefined : input.sideEffectOf(event.tool);
    if (outcome === 'deny' && sideEffect !== undefined && HIGH_RISK_CLASSES.includes(sideEffect)) {
      const week = blocked[bucket];
      if (week !== undefined) week.count += 1;
    }
  }

  const opened = buckets();
  const openAges: number[] = [];
  for (const override of input.overrides) {
    const bucket = bucketOf(override.created_at);
    const week = bucket === null ? undefined : opened[bucket];
    if (week !== undefined) week.count += 1;
    if (overrideState(override, now) === 'open') openAges.push((now - override.created_at) / 1000);
  }

  const decisionTimes = input.approvals
    .filter((a) => a.decided_at !== undefined && a.decided_at >= start && a.decided_at < now)
    .map((a) => ((a.decided_at ?? a.created_at) - a.created_at) / 1000);

  return {
    weeks,
    from: new Date(start).toISOString(),
    to: new Date(now).toISOString(),
    blocked_high_risk: blocked,
    top_rules: [...rules.entries()]
      .map(([rule, count]) => ({ rule, count }))
      .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule))
      .slice(0, 10),
    overrides: { opened, open_now: openAges.length, median_open_age_seconds: Math.round(median(openAges) ?? 0) },
    approvals: {
      decided: decisionTimes.length,
      median_decision_seconds: median(decisionTimes),
      pending_now: input.approvals.filter((a) => a.state === 'pending' && a.expires_at > now).length,
    },
    lineage: { calls, complete, share: calls === 0 ? null : complete / calls },
  };
}

/** Where the trends of a tenant are read from (the gateway's stores). */
export interface TrendsSources {
  audit: { search(query: AuditSearchQuery): Promise<AuditSearchPage> };
  approvals: Pick<ApprovalStore, 'list'>;
  overrides: Pick<OverrideStore, 'list'>;
  tools(): RegisteredTool[];
  now(): number;
}

/**
 * The trends of the principal's tenant over the last `weeks` weeks: for principals holding one
 * of `readerRoles` (ERR_AUDIT_FORBIDDEN otherwise); `weeks` from 1 to TRENDS_MAX_WEEKS.
 * Reads the tenant's decision and result events of the window page by page.
 */
export async function tenantTrends(sources: TrendsSources, principal: Principal, weeks: number, readerRoles: readonly string[]): Promise<Trends> {
  if (!principal.roles.some((r) => readerRoles.includes(r))) {
    throw new AirlockError('ERR_AUDIT_FORBIDDEN', 'trends need an auditor role', { status: 403 });
  }
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > TRENDS_MAX_WEEKS) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', `weeks must be a whole number from 1 to ${TRENDS_MAX_WEEKS}`, { status: 400 });
  }
  const now = sources.now();
  const from = new Date(now - weeks * WEEK_MS).toISOString();
  const events: AuditEvent[] = [];
  for (const type of ['decision', 'result']) {
    let afterSeq: number | undefined;
    do {
      const page = await searchScoped(sources.audit, { type, from, limit: SEARCH_MAX_LIMIT, ...(afterSeq === undefined ? {} : { afterSeq }) }, { tenant: principal.tenant });
      events.push(...page.events);
      afterSeq = page.nextAfterSeq ?? undefined;
    } while (afterSeq !== undefined);
  }
  const sideEffects = new Map(sources.tools().map((t) => [t.name, t.sideEffect]));
  return computeTrends({
    now,
    weeks,
    events,
    approvals: await sources.approvals.list({ tenant: principal.tenant }),
    overrides: await sources.overrides.list({ tenant: principal.tenant }),
    sideEffectOf: (tool) => sideEffects.get(tool),
  });
}
