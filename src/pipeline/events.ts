/**
 * Audit events of a call. Every event of one call carries the same request, trace,
 * session and action ids so the lineage of an action can be rebuilt; arguments appear
 * only as their hash and safe summary.
 */
import { canonicalHash } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import { MAX_SECRET_SCAN, REDACTED, redactSecretsInText } from '../tools/index.ts';
import { newId } from '../core/ids.ts';
import { jsonCopy } from '../core/json-copy.ts';
import { escapeString } from '../core/well-formed.ts';
import type { AuditEventInput, AuditEventType, Decision, Principal } from '../core/types.ts';
import type { CallState } from './call.ts';
import type { PipelineEnv } from './env.ts';

export type EventActor = AuditEventInput['actor'];

/** The gateway itself (reloads, upstream housekeeping): no human or agent caused the event. */
export const GATEWAY_ACTOR: EventActor = { user: null, tenant: null, roles: [], agent: null };

export function actorOf(principal: Principal): EventActor {
  return { user: principal.user, tenant: principal.tenant, roles: principal.roles, agent: principal.agent ?? null };
}

/**
 * An audit event that belongs to no tool call — operator actions, registrations, gateway
 * housekeeping: fresh request and trace ids, no action. `extra` adds session, tool, runtime ids.
 */
export function standaloneEvent(type: AuditEventType, actor: EventActor, data: JsonValue, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type,
    request_id: newId('req'),
    trace_id: newId('trc'),
    session_id: null,
    action_id: null,
    parent_action_id: null,
    actor,
    data,
    ...extra,
  };
}

export function callEvent(call: CallState, env: PipelineEnv, type: AuditEventType, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  const p = call.principal;
  return {
    type,
    request_id: call.request_id,
    trace_id: call.trace_id,
    session_id: call.session?.id ?? null,
    action_id: call.action_id,
    parent_action_id: call.request.parent_action_id ?? null,
    actor: { user: p?.user ?? null, tenant: p?.tenant ?? null, roles: p?.roles ?? [], agent: p?.agent ?? null },
    model_id: env.runtime.modelId,
    runtime_config_id: env.runtime.configId,
    tool: call.tool?.name ?? (typeof call.request.tool === 'string' ? callerText(call.request.tool, 200) : null),
    tool_version: call.tool?.version ?? null,
    args_hash: call.argsHash ?? null,
    args_summary: call.argsSummary ?? null,
    phase_timings: { ...call.timings },
    ...(call.trace?.manifestHash === undefined ? {} : { context_manifest_hash: call.trace.manifestHash }),
    ...extra,
  };
}

/**
 * `refs` for an event: the given ids, without empties and repeats (nothing when none is left).
 * Every id an answer hands out is put on the event that records it, so a lookup finds it.
 */
export function refsOf(...ids: (string | null | undefined)[]): { refs?: string[] } {
  const refs = [...new Set(ids.filter((id): id is string => typeof id === 'string' && id.length > 0))];
  return refs.length === 0 ? {} : { refs };
}

/**
 * The ids a call hands out or uses besides its request/action/trace/session: the decision id,
 * the approval it raised or consumed, the override that lifted it, its credential's jti and
 * the context manifest it ran under. Carried by the event that records the decision (and the
 * approval request); the call's other events are found through its action id.
 */
export function callRefs(call: CallState): { refs?: string[] } {
  return refsOf(call.decision_id, call.approvalId, call.overrideId, call.credential?.jti, call.trace?.manifestHash);
}

export function decisionJson(decision: Decision, call: CallState): JsonValue {
  return {
    ...(jsonCopy(decision) as Record<string, JsonValue>),
    mode: call.mode,
    resource: call.resource === undefined ? null : { type: call.resource.type, id: call.resource.id, tenant: call.resource.tenant, exists: call.resource.exists },
    affected_count: call.affectedCount ?? null,
    intent: call.request.intent === undefined ? null : intentRecord(call.request.intent),
    // Never the token: only what identifies it.
    credential: call.credential === undefined ? null : { jti: call.credential.jti, scope: call.credential.scope, audience: call.credential.audience, expires_at: call.credential.expiresAt },
  };
}

const INTENT_PREVIEW_CHARS = 160;

/**
 * What the log keeps of the caller's free-text intent: its hash (to check a claimed text
 * against), its length, and a short preview with credential-looking words redacted.
 */
export function intentRecord(intent: string): JsonValue {
  const preview = callerText(intent, INTENT_PREVIEW_CHARS);
  // Text that is not well-formed Unicode is hashed (and kept) as its JSON escape.
  if (!intent.isWellFormed()) return { hash: canonicalHash(escapeString(intent)), escaped: true, chars: intent.length, preview };
  return { hash: canonicalHash(intent), chars: intent.length, preview };
}

/**
 * Caller-chosen text the log keeps as written (a tool name that named no tool, a claimed
 * identity, the intent's preview), at most `max` characters, with credential-looking words
 * redacted before the cut: a credential across the cut is judged whole (a word running past the
 * redacted stretch is longer than any scanned value, hence redacted too).
 */
function callerText(text: string, max: number): string {
  return redactSecretsInText(text.slice(0, max + MAX_SECRET_SCAN), REDACTED).slice(0, max);
}

/** Events written before anything else for a call: body identity claims that disagree with the token. */
export function mismatchEvents(call: CallState, env: PipelineEnv): AuditEventInput[] {
  if (call.identityMismatches.length === 0) return [];
  const mismatches = call.identityMismatches.map((m) => ({ ...m, claimed: callerText(m.claimed, m.claimed.length) }));
  return [callEvent(call, env, 'identity.mismatch', { data: { mismatches } })];
}
