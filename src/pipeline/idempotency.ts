/**
 * Idempotency around the phases: replaying a recorded answer (its result becomes content of
 * the current session, like any result handed to the agent, and the replay is on the audit
 * record), what an answer says about its key, the status checks tools declare, and the audit
 * event of a resolution. The phases themselves are in phases/idempotency.ts.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { Principal, RegisteredTool } from '../core/types.ts';
import type { IdempotencyRecord } from '../idempotency/index.ts';
import { IDEMPOTENCY_ERRORS, effectiveState } from '../idempotency/index.ts';
import type { ToolHandler } from '../tools/index.ts';
import type { CallState, IdempotencyAnswer } from './call.ts';
import { builtinReason } from './call.ts';
import type { PipelineEnv } from './env.ts';
import { callEvent, refsOf, standaloneEvent, actorOf, GATEWAY_ACTOR } from './events.ts';
import type { AuditEventInput } from '../core/types.ts';
import { appendCallEvents } from './phases/record.ts';

/** Hands the recorded answer back: result (as this session's content) or error; the replay is recorded first. */
export async function replayRecorded(call: CallState, env: PipelineEnv): Promise<void> {
  const record = call.replay;
  if (record === undefined) return;
  const outcome = record.outcome ?? {};
  if (outcome.error !== undefined) call.resultError = { ...outcome.error };
  else call.result = outcome.result ?? null;
  if (outcome.output !== undefined) call.output = outcome.output as unknown as NonNullable<CallState['output']>;
  try {
    await appendCallEvents(env, [
      callEvent(call, env, 'idempotency.replayed', {
        data: { record_id: record.id, original_request_id: record.request_id, original_action_id: record.action_id, state: record.state },
        ...refsOf(record.id, record.action_id),
      }),
    ]);
  } catch {
    // A replay nobody can audit is not handed out.
    delete call.replay;
    delete call.result;
    delete call.resultError;
    call.stop = { outcome: 'deny', code: 'audit.unavailable', phase: 'record', reasons: [builtinReason('builtin.audit_durability', 'audit.unavailable', 'the audit store could not record the replay')] };
    return;
  }
  if (call.session !== undefined && call.tool !== undefined && call.resultError === undefined && call.result !== undefined) {
    try {
      call.resultContent = await env.provenance.registerResult(call.session, call.tool, call.action_id, call.result, call.arguments ?? {});
      // Durable before the replayed result is handed over.
      await env.provenance.durable();
    } catch (error) {
      call.resultError = { code: 'ERR_PROVENANCE_UNAVAILABLE', message: `the result could not be logged in the session's provenance (${isAirlockError(error) ? error.code : 'fault'}); the result is withheld` };
      delete call.result;
    }
  }
}

/** What the answer of a call that named an idempotency key says about it. */
export function idempotencyAnswer(call: CallState, now: number): IdempotencyAnswer | undefined {
  const state = call.idempotency;
  if (state === undefined) return undefined;
  const record: IdempotencyRecord | undefined = call.replay ?? state.found ?? state.claimed;
  if (record === undefined) return { record_id: null, replayed: false, state: null, original_request_id: null, original_action_id: null };
  return {
    record_id: record.id,
    replayed: call.replay !== undefined,
    state: effectiveState(record, now),
    original_request_id: record.request_id,
    original_action_id: record.action_id,
    ...(record.outcome?.result_omitted === true ? { result_omitted: true } : {}),
    ...(record.resolution === undefined ? {} : { resolution: { via: record.resolution.via, outcome: record.resolution.outcome } }),
  };
}

/** The stable error of an idempotency refusal (code and message from the domain's error table). */
export function idempotencyError(code: string): { code: string; message: string } {
  const name = code === 'idempotency.key_reused' ? 'ERR_IDEMPOTENCY_KEY_REUSED' : code === 'idempotency.in_progress' ? 'ERR_IDEMPOTENCY_IN_PROGRESS' : 'ERR_IDEMPOTENCY_OUTCOME_UNKNOWN';
  return { code: name, message: IDEMPOTENCY_ERRORS[name].message };
}

/**
 * A tool's status check: its handler is asked `{ idempotency_key, action_id, arguments? }` and
 * answers `{ state: 'executed' | 'not_executed' | 'unknown' }`. Anything else — no check, a
 * fault, a slow or malformed answer — is `unknown` (the outcome stays unresolved).
 */
export function statusChecker(handlers: Record<string, ToolHandler>, onFault: (error: unknown) => void) {
  return async (tool: RegisteredTool, record: IdempotencyRecord, principal: Principal): Promise<'executed' | 'not_executed' | 'unknown'> => {
    const name = tool.statusCheck;
    const handler = name === undefined || !Object.hasOwn(handlers, name) ? undefined : handlers[name];
    if (handler === undefined) return 'unknown';
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AirlockError('ERR_CONNECTOR_TIMEOUT', 'the status check timed out', { status: 504 })), tool.timeoutMs);
    try {
      const answer = await Promise.race([
        handler({ idempotency_key: record.key, action_id: record.action_id } as Record<string, JsonValue>, { principal, actionId: record.action_id, idempotencyKey: record.key, signal: controller.signal }),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
      const state = answer !== null && typeof answer === 'object' && !Array.isArray(answer) ? answer.state : undefined;
      return state === 'executed' || state === 'not_executed' ? state : 'unknown';
    } catch (error) {
      onFault(error);
      return 'unknown';
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `idempotency.resolved`: who (or which status check) settled an unknown outcome, and how. */
export function resolvedEvent(record: IdempotencyRecord, operator: Principal | null): AuditEventInput {
  const resolution = record.resolution;
  return standaloneEvent(
    'idempotency.resolved',
    operator === null ? { ...GATEWAY_ACTOR, tenant: record.owner.tenant } : { ...actorOf(operator), agent: null },
    {
      record_id: record.id,
      tool: record.tool,
      original_request_id: record.request_id,
      original_action_id: record.action_id,
      via: resolution?.via ?? null,
      outcome: resolution?.outcome ?? null,
      justification: resolution?.justification ?? null,
    },
    { tool: record.tool, session_id: record.session_id, ...refsOf(record.id, record.action_id) },
  );
}
