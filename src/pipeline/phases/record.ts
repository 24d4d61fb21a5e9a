/**
 * record: the durable audit writes of a call. Each resolves only after the store has
 * committed (fsync'd). An allowed call's intent is recorded before its connector runs;
 * if the store cannot write, the call is denied and nothing executes.
 */
import { canonicalHash } from '../../core/canonical.ts';
import { isAirlockError } from '../../core/errors.ts';
import { escapeIllFormed, isWellFormedJson } from '../../core/well-formed.ts';
import type { AuditEvent, AuditEventInput } from '../../core/types.ts';
import type { ConnectorSpec } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import { builtinReason, denyWith } from '../call.ts';
import { buildDecision } from '../decision.ts';
import type { PipelineEnv } from '../env.ts';
import { contentEventData } from '../content.ts';
import { callEvent, callRefs, decisionJson, mismatchEvents, refsOf } from '../events.ts';
import { outputEventData } from '../outputs.ts';

/** `function:<handler>`, `http:<METHOD> <origin>`, `mcp:<upstream>/<tool>` or `sandbox:<command>`: no headers, paths or query. */
export function connectorLabel(connector: ConnectorSpec): string {
  if (connector.type === 'function') return `function:${connector.handler}`;
  if (connector.type === 'mcp') return `mcp:${connector.upstream}/${connector.tool}`;
  if (connector.type === 'sandbox') return `sandbox:${connector.command[0] ?? ''}`;
  let origin = 'invalid-url';
  try {
    origin = new URL(connector.url.replace(/\{[^}]*\}/g, 'x')).origin;
  } catch {
    // keep the placeholder
  }
  return `http:${connector.method} ${origin}`;
}

function auditUnavailable(call: CallState): void {
  call.stop = {
    outcome: 'deny',
    code: 'audit.unavailable',
    phase: 'record',
    reasons: [builtinReason('builtin.audit_durability', 'audit.unavailable', 'the audit store could not record the decision')],
  };
}

/**
 * Appends a call's events. Text that is not well-formed Unicode (a lone surrogate in a tool
 * name, an argument key, a reason) cannot be canonicalized; such events are stored with those
 * strings JSON-escaped and their paths in `escaped_strings`, so every call is recorded
 * whatever its bytes. Well-formed events (every ordinary call) are appended as they are.
 */
export function appendCallEvents(env: PipelineEnv, events: AuditEventInput[]): Promise<AuditEvent[]> {
  return env.audit.append(events).catch((error: unknown) => {
    // Only a refusal of the events themselves, and only when they hold ill-formed text, is retried.
    const refused = isAirlockError(error) && (error.code === 'ERR_AUDIT_INVALID_EVENT' || error.code === 'ERR_CANONICAL_UNSUPPORTED');
    if (!refused || isWellFormedJson(events)) throw error;
    return env.audit.append(events.map(recordableEvent));
  });
}

/**
 * The session state the call wrote (activity counters, provenance of results) made durable:
 * the state stores apply a write when it resolves and fsync it afterwards, off the event loop
 * (SessionActivityStore, ProvenanceStore). Each record below starts this before its audit
 * append and waits for both, so the two fsyncs overlap and nothing the state holds for a call
 * is acknowledged (tool run, result handed over) before it is durable.
 */
export function stateDurable(env: PipelineEnv): Promise<void> {
  return Promise.all([env.sessionActivity.durable(), env.provenance.durable()]).then(() => undefined);
}

function recordableEvent(event: AuditEventInput): AuditEventInput {
  const escaped: string[] = [];
  const out = escapeIllFormed(event, escaped);
  return escaped.length === 0 ? event : { ...out, escaped_strings: escaped };
}

/**
 * The durable record of an allowed call, before anything else happens to it: in decide mode
 * the `decision` event (the decision itself is the record), in execute mode the `intent`
 * event (with its decision), committed before the connector is called.
 */
async function recordAllowed(call: CallState, env: PipelineEnv, type: 'decision' | 'intent'): Promise<void> {
  const decision = buildDecision(call);
  // An intent names what will run it (the connector), never its secrets.
  const connector = type === 'intent' && call.tool !== undefined ? { data: { connector: connectorLabel(call.tool.connector) } } : {};
  const state = stateDurable(env);
  const [audit, durable] = await Promise.allSettled([
    appendCallEvents(env, [...mismatchEvents(call, env), callEvent(call, env, type, { decision: decisionJson(decision, call), ...connector, ...callRefs(call) })]),
    state,
  ]);
  if (audit.status === 'rejected') {
    auditUnavailable(call);
    return;
  }
  if (durable.status === 'rejected') {
    // The call's count (and the reads counted before it) may not outlive a crash: nothing runs on it.
    const error: unknown = durable.reason;
    denyWith(call, 'record', 'state.unavailable', 'builtin.fail_closed', `the session's state could not be made durable (${isAirlockError(error) ? error.code : 'fault'})`);
    return;
  }
  call.decision = decision;
}

export async function recordDecision(call: CallState, env: PipelineEnv): Promise<void> {
  // In decision-point mode the runtime executes; an allowed read counts toward the read budget
  // now, before the decision is on the record: a read that cannot be counted is denied (a
  // decision that then cannot be recorded is denied too, its read counted: the budget errs strict).
  if (call.tool?.sideEffect === 'read' && call.session !== undefined) {
    try {
      await env.sessionActivity.recordRead(call.session.id, call.affectedCount ?? 1, env.clock.now());
    } catch (error) {
      denyWith(call, 'record', 'activity.unavailable', 'builtin.fail_closed', `the read could not be counted (${isAirlockError(error) ? error.code : 'fault'})`);
      return;
    }
  }
  await recordAllowed(call, env, 'decision');
}

export async function recordIntent(call: CallState, env: PipelineEnv): Promise<void> {
  await recordAllowed(call, env, 'intent');
}

/** Outbound hops (with bytes per destination) and sandbox runs the connector reported. */
function boundaryData(call: CallState): Record<string, unknown> {
  const boundary = call.boundary;
  if (boundary === undefined) return {};
  const out: Record<string, unknown> = {};
  if (boundary.egress.length > 0) {
    const bytes: Record<string, { bytes_out: number; bytes_in: number }> = {};
    for (const hop of boundary.egress) {
      const entry = (bytes[hop.destination] ??= { bytes_out: 0, bytes_in: 0 });
      entry.bytes_out += hop.bytes_out;
      entry.bytes_in += hop.bytes_in;
    }
    out.egress = { hops: boundary.egress.map((hop) => ({ ...hop })), bytes };
  }
  if (boundary.sandbox.length > 0) out.sandbox = boundary.sandbox.map((run) => ({ ...run, violations: run.violations.map((v) => ({ ...v })) }));
  return out;
}

/**
 * execute mode: what came back (a hash and a code, never the raw result), and how many
 * secrets of which kind were removed from it (`data.redacted`, never a value).
 */
export async function recordResult(call: CallState, env: PipelineEnv): Promise<void> {
  const error = call.resultError;
  const data = {
    ...(error === undefined ? {} : { error: error.message.slice(0, 300) }),
    ...(call.redacted === undefined ? {} : { redacted: { count: call.redacted.count, kinds: { ...call.redacted.kinds } } }),
    ...boundaryData(call),
    ...(call.output === undefined ? {} : { output: outputEventData(call.output) }),
    ...(call.attempts === undefined || call.attempts <= 1 ? {} : { attempts: call.attempts }),
  };
  // The result's read count and provenance (inspect) durable beside the result event; either failing is a fault (the result is not handed over).
  const state = stateDurable(env);
  const events = [
    callEvent(call, env, 'result', {
      result_code: error === undefined ? 'ok' : error.code,
      result_hash: call.result === undefined ? null : canonicalHash(call.result),
      ...(Object.keys(data).length === 0 ? {} : { data }),
    }),
    ...(call.resultContent === undefined ? [] : [callEvent(call, env, 'content.registered', { data: contentEventData(call.resultContent) })]),
  ];
  const settled = await Promise.allSettled([appendCallEvents(env, events), state]);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
}

/**
 * A call that stopped (denied, or held for approval): record the decision, and the
 * approval request when one was created. Denies stay denies when the store is down.
 */
export async function recordStop(call: CallState, env: PipelineEnv): Promise<boolean> {
  const decision = buildDecision(call);
  call.decision = decision;
  const events = [...mismatchEvents(call, env), callEvent(call, env, 'decision', { decision: decisionJson(decision, call), ...callRefs(call) })];
  if (call.approvalId !== undefined) {
    events.push(callEvent(call, env, 'approval.requested', { data: { approval_id: call.approvalId, required_role: decision.obligations.approval?.role ?? null }, ...refsOf(call.approvalId) }));
  }
  // Its count durable too. A refusal stays a refusal whether or not that works, but a state
  // that cannot be made durable is reported (the store refuses every later write as well).
  const state = stateDurable(env).catch((error: unknown) => {
    env.faults.onUnrecorded?.({ request_id: call.request_id, code: 'state.unavailable', error });
  });
  try {
    await appendCallEvents(env, events);
    await state;
    return true;
  } catch (error) {
    env.faults.unrecordedStops++;
    env.faults.onUnrecorded?.({ request_id: call.request_id, code: decision.code, error });
    return false;
  }
}

/**
 * simulate mode: the dry run's decision as a `simulation` event, so the ids it answers with
 * resolve. Nothing ran, so a store that cannot write does not change the answer (counted).
 */
export async function recordSimulation(call: CallState, env: PipelineEnv): Promise<void> {
  const decision = call.decision ?? buildDecision(call);
  try {
    await appendCallEvents(env, [...mismatchEvents(call, env), callEvent(call, env, 'simulation', { decision: decisionJson(decision, call), ...callRefs(call) })]);
  } catch (error) {
    env.faults.unrecordedStops++;
    env.faults.onUnrecorded?.({ request_id: call.request_id, code: decision.code, error });
  }
}
