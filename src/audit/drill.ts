/**
 * The lineage drill: from any id the API handed out, reconstruct the chain of each action it
 * leads to — who asked, session and context manifest (with its source ids), policy version
 * and deciding rules with both checks, approval and override with operator identity,
 * credential scope and expiry, what ran (payload hash, connector), result code, phase
 * timestamps — and report every link that the log cannot show. Pure over a lookup function
 * (a store's findRelated, already scoped to what the reader may see); it follows ids through
 * the lookup's indexes and never reads the whole log.
 */
import { microsSince, nowNs } from '../core/clock.ts';
import type { AuditEvent } from '../core/types.ts';

export type LinkName =
  | 'who'
  | 'session'
  | 'context'
  | 'policy'
  | 'approval'
  | 'override'
  | 'credential'
  | 'execution'
  | 'result'
  | 'timestamps';

/**
 * ok: the log shows it; missing: it should, and does not (the chain is incomplete); pruned: it
 * did, and retention removed it (the tombstone and its audit.pruned record say so); n/a:
 * nothing to show.
 */
export type LinkStatus = 'ok' | 'missing' | 'pruned' | 'n/a';

export interface DrillLink {
  link: LinkName;
  status: LinkStatus;
  /** One line for people. */
  detail: string;
  /** What the log holds for this link (ids, hashes, names, times). */
  values: Record<string, unknown>;
}

export interface DrillAction {
  action_id: string;
  request_id: string;
  trace_id: string;
  tool: string | null;
  /** decide / execute / simulate, as recorded. */
  mode: string | null;
  outcome: string | null;
  links: DrillLink[];
  complete: boolean;
}

export interface DrillReport {
  id: string;
  /** Whether any visible event relates to the id. */
  found: boolean;
  /** Found, with at least one action or record, and no missing link anywhere. */
  complete: boolean;
  actions: DrillAction[];
  /** Events the id resolves to that belong to no action (operator records, memory, context...). */
  records: { seq: number; type: string; ts: string; actor: AuditEvent['actor'] }[];
  /** Actions beyond the cap, not drilled. */
  actions_omitted: number;
  /** Index lookups made. */
  lookups: number;
  elapsed_ms: number;
}

export type DrillLookup = (id: string) => Promise<AuditEvent[]>;

/** Most actions one drill reconstructs (a session or trace id can lead to many). */
export const MAX_DRILL_ACTIONS = 50;

/** Event types that record a tool call's decision. */
const DECISION_TYPES = new Set(['decision', 'intent', 'simulation']);

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

const link = (name: LinkName, status: LinkStatus, detail: string, values: Record<string, unknown> = {}): DrillLink => ({
  link: name,
  status,
  detail,
  values,
});

/** Whether retention removed data class `cls` from `event` (a tombstone, audit/retention). */
function lost(event: AuditEvent | undefined, cls: string): event is AuditEvent & { pruned: { by: number; classes: string[] } } {
  return event?.pruned?.classes.includes(cls) === true;
}

const prunedLink = (name: LinkName, event: AuditEvent & { pruned: { by: number } }, what: string, values: Record<string, unknown> = {}): DrillLink =>
  link(name, 'pruned', `${what} was removed by retention (event #${event.seq}, audit.pruned #${event.pruned.by})`, values);

/** Events of `type` prefix whose `data` (holding the id) retention removed: they may be the ones looked for. */
const dataLost = (e: AuditEvent, prefix: string): boolean => e.type.startsWith(prefix) && e.data === undefined && lost(e, 'detail');

/** Runs lookups once per id. */
class Resolver {
  readonly #lookup: DrillLookup;
  readonly #cache = new Map<string, Promise<AuditEvent[]>>();
  constructor(lookup: DrillLookup) {
    this.#lookup = lookup;
  }
  get lookups(): number {
    return this.#cache.size;
  }
  find(id: string): Promise<AuditEvent[]> {
    let found = this.#cache.get(id);
    if (found === undefined) this.#cache.set(id, (found = this.#lookup(id)));
    return found;
  }
}

function whoLink(decision: AuditEvent): DrillLink {
  const a = decision.actor;
  const values = { user: a.user, tenant: a.tenant, roles: a.roles, agent: a.agent };
  if (a.user === null && a.tenant !== null && lost(decision, 'identity')) return prunedLink('who', decision, 'the user of the decision', values);
  if (a.user === null || a.tenant === null) return link('who', 'missing', 'the decision names no user or tenant', values);
  const agent = a.agent === null ? 'no agent (direct call)' : `agent ${a.agent}`;
  return link('who', 'ok', `${a.user}@${a.tenant} [${a.roles.join(', ')}], ${agent}`, values);
}

async function sessionLink(decision: AuditEvent, r: Resolver): Promise<DrillLink> {
  const id = decision.session_id;
  if (id === null) return link('session', 'n/a', 'the call named no session');
  const created = (await r.find(id)).find((e) => e.type === 'session.created' && e.session_id === id);
  if (created === undefined) return link('session', 'missing', `no session.created event for ${id}`, { session_id: id });
  return link('session', 'ok', `${id} created ${created.ts} by ${created.actor.user ?? '?'}`, {
    session_id: id,
    created_at: created.ts,
    model_id: created.model_id ?? null,
    runtime_config_id: created.runtime_config_id ?? null,
  });
}

function sourceIds(manifest: Obj | null): string[] {
  const chunks = Array.isArray(manifest?.chunks) ? manifest.chunks : [];
  const ids = chunks.map((c) => str(obj(c)?.source_id)).filter((s): s is string => s !== null);
  return [...new Set(ids)].sort();
}

async function contextLink(decision: AuditEvent, r: Resolver): Promise<DrillLink> {
  const hash = str(decision.context_manifest_hash);
  if (hash === null) return link('context', 'n/a', 'no context manifest was assembled in the session before this call');
  const assembled = (await r.find(hash)).find((e) => e.type === 'context.assembled' && e.context_manifest_hash === hash);
  if (assembled === undefined) return link('context', 'missing', `no context.assembled event carries manifest ${hash}`, { manifest_hash: hash });
  const manifest = obj(assembled.data);
  const sources = sourceIds(manifest);
  return link('context', 'ok', `manifest ${hash} from sources [${sources.join(', ')}] (assembled ${assembled.ts})`, {
    manifest_hash: hash,
    manifest_id: str(manifest?.manifest_id),
    source_ids: sources,
    assembled_at: assembled.ts,
  });
}

function policyLink(d: Obj): DrillLink {
  const version = str(d.policy_version);
  const reasons = Array.isArray(d.reasons) ? d.reasons.map(obj) : [];
  const rules = [...new Set(reasons.map((x) => str(x?.policy_id)).filter((s): s is string => s !== null))];
  const checks = obj(d.checks);
  const actionClass = obj(checks?.action_class);
  const parameters = obj(checks?.parameters);
  const values = { policy_version: version, outcome: str(d.outcome), code: str(d.code), rules, checks };
  const gaps: string[] = [];
  // `none`: a gateway phase refused the call before any policy was asked — legitimate for a deny.
  const beforePolicy = version === 'none' && d.outcome === 'deny' && str(d.decided_by) !== null && d.decided_by !== 'authorize';
  if (version === null || (version === 'none' && !beforePolicy)) gaps.push('policy version');
  if (rules.length === 0) gaps.push('deciding rules');
  if (typeof actionClass?.passed !== 'boolean' || typeof parameters?.passed !== 'boolean') gaps.push('both checks');
  if (gaps.length > 0) return link('policy', 'missing', `the decision lacks ${gaps.join(', ')}`, values);
  const passed = (c: Obj | null) => (c?.passed === true ? 'passed' : 'failed');
  return link(
    'policy',
    'ok',
    `${String(d.outcome)} (${String(d.code)}) by [${rules.join(', ')}] ${beforePolicy ? `in the ${String(d.decided_by)} phase, before policy` : `under ${version}`}; action class ${passed(actionClass)}, parameters ${passed(parameters)}`,
    values,
  );
}

function operatorOf(event: AuditEvent): Record<string, unknown> {
  return { user: event.actor.user, tenant: event.actor.tenant, roles: event.actor.roles, at: event.ts };
}

async function approvalLink(d: Obj, r: Resolver): Promise<DrillLink> {
  const id = str(d.approval_id);
  if (id === null) return link('approval', 'n/a', 'no approval was required');
  const events = (await r.find(id)).filter((e) => obj(e.data)?.approval_id === id || (dataLost(e, 'approval.') && e.refs?.includes(id) === true));
  const requested = events.find((e) => e.type === 'approval.requested');
  const decided = events.find((e) => e.type === 'approval.approved' || e.type === 'approval.rejected');
  const values = {
    approval_id: id,
    requested_at: requested?.ts ?? null,
    decision: decided?.type ?? null,
    operator: decided === undefined ? null : operatorOf(decided),
    states: events.map((e) => e.type),
  };
  if (requested === undefined) return link('approval', 'missing', `no approval.requested event for ${id}`, values);
  if (d.code === 'approval.granted') {
    // The call ran on a consumed approval: the reviewer who granted it must be on the record.
    if (decided?.type === 'approval.approved' && decided.actor.user === null && lost(decided, 'identity')) {
      return prunedLink('approval', decided, `the operator who approved ${id}`, values);
    }
    if (decided?.type !== 'approval.approved' || decided.actor.user === null) {
      return link('approval', 'missing', `the call consumed ${id} but no approval.approved event names its operator`, values);
    }
    return link('approval', 'ok', `${id} approved by ${decided.actor.user} at ${decided.ts}`, values);
  }
  const state = decided === undefined ? 'pending' : `${decided.type.slice('approval.'.length)} by ${decided.actor.user ?? '?'} at ${decided.ts}`;
  return link('approval', 'ok', `${id} requested ${requested.ts}, ${state}`, values);
}

async function overrideLink(d: Obj, r: Resolver): Promise<DrillLink> {
  const id = str(d.override_id);
  if (id === null) return link('override', 'n/a', 'no break-glass override was used');
  const created = (await r.find(id)).find((e) => e.type === 'override.created' && (obj(e.data)?.override_id === id || (dataLost(e, 'override.') && e.refs?.includes(id) === true)));
  if (created !== undefined && created.actor.user === null && lost(created, 'identity')) {
    return prunedLink('override', created, `the operator who opened ${id}`, { override_id: id });
  }
  if (created === undefined || created.actor.user === null) {
    return link('override', 'missing', `no override.created event names the operator of ${id}`, { override_id: id });
  }
  const data = obj(created.data);
  return link('override', 'ok', `${id} opened by ${created.actor.user} at ${created.ts}: ${String(data?.justification ?? '')}`, {
    override_id: id,
    operator: operatorOf(created),
    justification: data?.justification ?? null,
    expires_at: data?.expires_at ?? null,
  });
}

function credentialLink(d: Obj, decision: AuditEvent): DrillLink {
  const credential = obj(d.credential);
  const scope = str(obj(d.obligations)?.credentialScope);
  if (credential === null) {
    // In gateway mode, function and MCP connectors present no per-call credential (none is minted).
    const connector = str(obj(decision.data)?.connector) ?? '';
    if (d.mode === 'execute' && /^(function|mcp):/.test(connector)) {
      return link('credential', 'n/a', `no credential: the ${connector.split(':')[0] ?? ''} connector presents none`, { scope, connector });
    }
    if (d.outcome === 'allow' && scope !== null && d.mode !== 'simulate') {
      return link('credential', 'missing', `the policy asked for a ${scope} credential and none is recorded`, { scope });
    }
    return link('credential', 'n/a', 'no credential was minted');
  }
  const values = { jti: str(credential.jti), scope: str(credential.scope), audience: str(credential.audience), expires_at: credential.expires_at ?? null };
  if (values.jti === null || values.scope === null || typeof values.expires_at !== 'number') {
    return link('credential', 'missing', 'the credential record lacks its jti, scope or expiry', values);
  }
  return link('credential', 'ok', `${values.jti} scope ${values.scope} for ${values.audience ?? '?'}, expires ${new Date(values.expires_at * 1000).toISOString()}`, values);
}

function executionLinks(d: Obj, events: AuditEvent[], decision: AuditEvent): DrillLink[] {
  const mode = str(d.mode);
  if (d.outcome !== 'allow' || mode === 'simulate') {
    const why = mode === 'simulate' ? 'a dry run runs nothing' : `nothing ran (${String(d.outcome)})`;
    return [link('execution', 'n/a', why), link('result', 'n/a', why)];
  }
  if (mode === 'decide') {
    const why = 'decision-point mode: the agent runtime executes the call';
    return [
      str(decision.args_hash) === null
        ? link('execution', 'missing', 'the decision lacks the payload hash')
        : link('execution', 'ok', `${decision.tool ?? '?'} payload ${String(decision.args_hash)}; ${why}`, { tool: decision.tool ?? null, args_hash: decision.args_hash }),
      link('result', 'n/a', why),
    ];
  }
  const connector = str(obj(decision.data)?.connector);
  const execution =
    connector === null && str(decision.args_hash) !== null && lost(decision, 'detail')
      ? prunedLink('execution', decision, 'the connector of the intent', { tool: decision.tool ?? null, args_hash: decision.args_hash })
      : str(decision.args_hash) === null || connector === null
      ? link('execution', 'missing', 'the intent lacks the payload hash or the connector', { args_hash: decision.args_hash ?? null, connector })
      : link('execution', 'ok', `${decision.tool ?? '?'} via ${connector}, payload ${String(decision.args_hash)}`, {
          tool: decision.tool ?? null,
          tool_version: decision.tool_version ?? null,
          args_hash: decision.args_hash,
          connector,
        });
  const result = events.find((e) => e.type === 'result');
  const resultLink =
    result === undefined || str(result.result_code) === null
      ? link('result', 'missing', 'no result event: the call may have stopped between intent and result')
      : link('result', 'ok', `${String(result.result_code)} at ${result.ts}`, { result_code: result.result_code, result_hash: result.result_hash ?? null, at: result.ts });
  return [execution, resultLink];
}

function timestampsLink(events: AuditEvent[], decision: AuditEvent): DrillLink {
  const timings = decision.phase_timings ?? {};
  const values = { events: events.map((e) => ({ seq: e.seq, type: e.type, ts: e.ts })), phase_timings_us: timings };
  if (Object.keys(timings).length === 0) return link('timestamps', 'missing', 'the decision carries no phase timings', values);
  const phases = Object.entries(timings)
    .map(([phase, us]) => `${phase} ${us}µs`)
    .join(', ');
  return link('timestamps', 'ok', `${events[0]?.ts ?? '?'} → ${events.at(-1)?.ts ?? '?'}; ${phases}`, values);
}

async function drillAction(actionId: string, r: Resolver): Promise<DrillAction | null> {
  const events = (await r.find(actionId)).filter((e) => e.action_id === actionId);
  // The record that decided: the intent in gateway mode, else the decision (or the dry run's).
  const decision = events.find((e) => e.type === 'intent') ?? events.find((e) => DECISION_TYPES.has(e.type));
  if (decision === undefined) return null;
  const d = obj(decision.decision) ?? {};
  const links = [
    whoLink(decision),
    await sessionLink(decision, r),
    await contextLink(decision, r),
    policyLink(d),
    await approvalLink(d, r),
    await overrideLink(d, r),
    credentialLink(d, decision),
    ...executionLinks(d, events, decision),
    timestampsLink(events, decision),
  ];
  return {
    action_id: actionId,
    request_id: decision.request_id,
    trace_id: decision.trace_id,
    tool: decision.tool ?? null,
    mode: str(d.mode),
    outcome: str(d.outcome),
    links,
    complete: links.every((l) => l.status !== 'missing'),
  };
}

/** Reconstructs the chain of every action `id` leads to (up to MAX_DRILL_ACTIONS). */
export async function drill(id: string, lookup: DrillLookup): Promise<DrillReport> {
  const started = nowNs();
  const r = new Resolver(lookup);
  const seeds = await r.find(id);
  const actionIds = [...new Set(seeds.filter((e) => e.action_id !== null && DECISION_TYPES.has(e.type)).map((e) => e.action_id as string))];
  const actions: DrillAction[] = [];
  for (const actionId of actionIds.slice(0, MAX_DRILL_ACTIONS)) {
    const action = await drillAction(actionId, r);
    if (action !== null) actions.push(action);
  }
  const records = seeds.filter((e) => e.action_id === null).map((e) => ({ seq: e.seq, type: e.type, ts: e.ts, actor: e.actor }));
  const found = seeds.length > 0;
  return {
    id,
    found,
    complete: found && (actions.length > 0 || records.length > 0) && actions.every((a) => a.complete),
    actions,
    records,
    actions_omitted: Math.max(0, actionIds.length - MAX_DRILL_ACTIONS),
    lookups: r.lookups,
    elapsed_ms: microsSince(started) / 1000,
  };
}
