/**
 * Runs one call through the phases of its mode and shapes what the door returns.
 * Stopped calls (denied or held) are recorded here, once, whatever phase stopped them.
 */
import { nowNs } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { isWellFormedId, newTimeOrderedId } from '../core/ids.ts';
import type { CallState, Mode, SimulationResult, ToolCallRequest, ToolCallResult } from './call.ts';
import { builtinReason } from './call.ts';
import { runPhases } from './compose.ts';
import { buildDecision } from './decision.ts';
import type { PipelineEnv } from './env.ts';
import { PHASES } from './phases/index.ts';
import { recordSimulation, recordStop } from './phases/record.ts';
import { actionSummary } from './summary.ts';
import { releaseUnexecuted } from './phases/idempotency.ts';
import { idempotencyAnswer, idempotencyError, replayRecorded } from './idempotency.ts';
import { afterCallBudgets } from './budgets.ts';

function newCall(mode: Mode, request: ToolCallRequest): CallState {
  const now = Date.now();
  const requestId = newTimeOrderedId('req', now);
  return {
    mode,
    request,
    request_id: requestId,
    // Caller-supplied correlation ids are kept only when well formed.
    trace_id: isWellFormedId(request.trace_id, 'trc') ? request.trace_id : newTimeOrderedId('trc', now),
    action_id: newTimeOrderedId('act', now),
    decision_id: newTimeOrderedId('dec', now),
    startedNs: nowNs(),
    timings: {},
    identityMismatches: [],
    executed: false,
  };
}

async function run(mode: Mode, request: ToolCallRequest, env: PipelineEnv): Promise<CallState> {
  const call = newCall(mode, request);
  if (request.parent_action_id !== undefined && !isWellFormedId(request.parent_action_id, 'act')) {
    delete call.request.parent_action_id;
  }
  await runPhases(PHASES[mode], call, env);
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

/** Tells the metrics about a call that has ended (once, here, whatever stopped it). */
function observe(call: CallState, env: PipelineEnv): void {
  if (env.metrics === null || env.metrics === undefined) return;
  const decision = (call.decision ??= buildDecision(call));
  const rule = decision.reasons.find((r) => r.code === decision.code) ?? decision.reasons[0];
  // Only registered tools name a label: a caller-chosen name never does (unbounded cardinality).
  const tool = call.tool?.name ?? (typeof call.request.tool === 'string' ? env.tools.get(call.request.tool)?.name : undefined) ?? null;
  env.metrics.observeCall({
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
  if (call.output !== undefined) env.metrics.observeOutput?.('tool_result', call.output.class);
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
