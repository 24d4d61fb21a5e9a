/**
 * Runs one call through the phases of its mode and shapes what the door returns.
 * Stopped calls (denied or held) are recorded here, once, whatever phase stopped them.
 */
import { nowNs } from '../core/clock.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import { isWellFormedId, newTimeOrderedId } from '../core/ids.ts';
import type { CallState, Mode, SimulationResult, ToolCallRequest, ToolCallResult } from './call.ts';
import { builtinReason } from './call.ts';
import { runPhases } from './compose.ts';
import { buildDecision } from './decision.ts';
import type { PipelineEnv } from './env.ts';
import { PHASES } from './phases/index.ts';
import { recordSimulation, recordStop } from './phases/record.ts';
import { actionSummary } from './summary.ts';
import { PASSTHROUGH_TRACER, auditTraceId, type CallTrace } from '../tracing/index.ts';
import { releaseUnexecuted } from './phases/idempotency.ts';
import { idempotencyAnswer, idempotencyError, replayRecorded } from './idempotency.ts';
import { afterCallBudgets } from './budgets.ts';

/**
 * The audit trace id: the caller's W3C trace when it sent a valid traceparent; else its own
 * well-formed `trace_id`; else the trace the gateway started (tracing on); else a new id.
 */
function auditTraceIdOf(request: ToolCallRequest, tracing: CallTrace, now: number): string {
  if (tracing.continued && tracing.w3cTraceId !== null) return auditTraceId(tracing.w3cTraceId);
  if (isWellFormedId(request.trace_id, 'trc')) return request.trace_id;
  return tracing.w3cTraceId !== null ? auditTraceId(tracing.w3cTraceId) : newTimeOrderedId('trc', now);
}

function newCall(mode: Mode, request: ToolCallRequest, env: PipelineEnv): CallState {
  const now = Date.now();
  const requestId = newTimeOrderedId('req', now);
  const tracing = (env.tracer ?? PASSTHROUGH_TRACER).start({
    mode,
    door: request.door ?? 'library',
    ...(request.trace_context === undefined ? {} : { parent: request.trace_context }),
  });
  return {
    mode,
    request,
    request_id: requestId,
    tracing,
    // Caller-supplied correlation ids are kept only when well formed.
    trace_id: auditTraceIdOf(request, tracing, now),
    action_id: newTimeOrderedId('act', now),
    decision_id: newTimeOrderedId('dec', now),
    startedNs: nowNs(),
    timings: {},
    identityMismatches: [],
    executed: false,
  };
}

async function run(mode: Mode, request: ToolCallRequest, env: PipelineEnv): Promise<CallState> {
  const call = newCall(mode, request, env);
  if (request.parent_action_id !== undefined && !isWellFormedId(request.parent_action_id, 'act')) {
    delete call.request.parent_action_id;
  }
  try {
    await runPhases(PHASES[mode], call, env);
  } catch (error) {
    // No identity: the door answers 401; the span says so and ends here.
    call.tracing.end({ ...spanIds(call), tool: null, errorType: isAirlockError(error) ? error.code : 'fault' });
    throw error;
  }
  // A call stopped after claiming its idempotency key and before its connector ran gives the key back.
  if (call.stop !== undefined || call.fault !== undefined) await releaseUnexecuted(call, env);
  if (call.replay !== undefined) await replayRecorded(call, env);
  if (call.fault !== undefined) {
    observe(call, env);
    throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the call executed but its result could not be recorded', {
      status: 503,
      cause: call.fault,
      details: { request_id: call.request_id, action_id: call.action_id, executed: true },
    });
  }
  if (call.stop !== undefined && mode !== 'simulate') {
    const recorded = await recordStop(call, env);
    if (recorded && call.approvalRequest !== undefined) env.notifyApproval?.(call.approvalRequest);
    if (!recorded && call.stop.outcome === 'approval_required') {
      // A hold nobody can audit is not offered for approval.
      call.stop = {
        outcome: 'deny',
        code: 'audit.unavailable',
        phase: 'record',
        reasons: [builtinReason('builtin.audit_durability', 'audit.unavailable', 'the audit store could not record the decision')],
      };
      delete call.approvalId;
      call.decision = buildDecision(call);
    }
  }
  // Denials counted, and a session that broke a budget or ran away suspended (after its refusal is on record).
  if (mode !== 'simulate') await afterCallBudgets(call, env);
  observe(call, env);
  return call;
}

function spanIds(call: CallState): { requestId: string; actionId: string; auditTraceId: string } {
  return { requestId: call.request_id, actionId: call.action_id, auditTraceId: call.trace_id };
}

/** Tells the metrics and the call's span about a call that has ended (once, here, whatever stopped it). */
function observe(call: CallState, env: PipelineEnv): void {
  const metrics = env.metrics ?? null;
  if (metrics === null && !call.tracing.recording) return;
  const decision = (call.decision ??= buildDecision(call));
  const rule = decision.reasons.find((r) => r.code === decision.code) ?? decision.reasons[0];
  // Only registered tools name a label: a caller-chosen name never does (unbounded cardinality).
  const tool = call.tool?.name ?? (typeof call.request.tool === 'string' ? env.tools.get(call.request.tool)?.name : undefined) ?? null;
  // The span's summary is built only when the call is recorded (tracing on and sampled).
  if (call.tracing.recording) {
    const errorType = call.fault !== undefined ? 'ERR_AUDIT_UNAVAILABLE' : call.resultError?.code;
    call.tracing.end({
      ...spanIds(call),
      tool,
      decisionId: decision.decision_id,
      outcome: decision.outcome,
      code: decision.code,
      ...(rule === undefined ? {} : { rule: rule.policy_id }),
      ...(call.session === undefined ? {} : { sessionId: call.session.id }),
      ...(call.principal === undefined ? {} : { tenant: call.principal.tenant, ...(call.principal.agent === undefined ? {} : { agent: call.principal.agent }) }),
      ...(errorType === undefined ? {} : { errorType }),
    });
  }
  if (metrics === null) return;
  metrics.observeCall({
    mode: call.mode,
    outcome: decision.outcome,
    rule: rule?.policy_id ?? null,
    tool,
    tenant: call.principal?.tenant ?? null,
    timings: call.timings,
    latencyUs: decision.latency_us,
    rateLimited: call.stop?.phase === 'limit',
    upstreamError: call.resultError?.code ?? null,
  });
  if (call.output !== undefined) metrics.observeOutput?.('tool_result', call.output.class);
}

export async function executeCall(request: ToolCallRequest, env: PipelineEnv): Promise<ToolCallResult> {
  const call = await run('execute', request, env);
  const decision = call.decision ?? buildDecision(call);
  const ids = { request_id: call.request_id, action_id: call.action_id, decision_id: decision.decision_id };
  if (call.stop?.outcome === 'approval_required' && call.approvalId !== undefined) {
    return { status: 'approval_required', ...ids, approval_id: call.approvalId, decision };
  }
  const idempotency = idempotencyAnswer(call, env.clock.now());
  const keyed = { ...(idempotency === undefined ? {} : { idempotency }), ...(call.output === undefined ? {} : { output: call.output }) };
  if (call.stop !== undefined) {
    const code = call.stop.code;
    if (idempotency !== undefined && (code === 'idempotency.key_reused' || code === 'idempotency.in_progress')) {
      return { status: 'conflict', ...ids, decision, error: idempotencyError(code), idempotency };
    }
    if (idempotency !== undefined && code === 'idempotency.outcome_unknown') {
      return { status: 'outcome_unknown', ...ids, decision, error: idempotencyError(code), idempotency };
    }
    return { status: 'denied', ...ids, decision };
  }
  if (call.resultError !== undefined) return { status: 'failed', ...ids, decision, error: call.resultError, ...keyed };
  const replayedTrust = call.replay?.outcome?.result_trust;
  return {
    status: 'executed',
    ...ids,
    decision,
    result: call.result ?? null,
    result_trust: (replayedTrust ?? (call.tool?.outputTrust === 'trusted' ? 'trusted' : 'untrusted')) === 'trusted' ? 'trusted' : 'untrusted',
    ...keyed,
  };
}

export async function decideCall(request: ToolCallRequest, env: PipelineEnv): Promise<CallState> {
  const call = await run('decide', request, env);
  call.decision ??= buildDecision(call);
  return call;
}

export async function simulateCall(request: ToolCallRequest, env: PipelineEnv): Promise<SimulationResult> {
  const call = await run('simulate', request, env);
  const decision = buildDecision(call);
  call.decision = decision;
  // The dry run is on the record too (it runs nothing): its ids lead to what it would have done.
  await recordSimulation(call, env);
  const role = call.evaluation?.obligations.approval?.role ?? null;
  const held = decision.outcome === 'approval_required';
  return {
    request_id: call.request_id,
    action_id: call.action_id,
    decision_id: decision.decision_id,
    outcome: decision.outcome,
    summary: actionSummary(call),
    affected_resources: call.affectedCount ?? 0,
    approval: {
      required: held,
      state: held ? 'required' : decision.outcome === 'deny' ? 'denied' : 'not_required',
      role: held ? role : null,
    },
    decision,
  };
}
