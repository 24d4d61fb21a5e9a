/**
 * Turns the state of a call into its Decision value: outcome, primary reason code,
 * reasons with rule ids, the two checks, obligations, policy version and latency.
 * A call denied before policy was asked reports the failing gateway rule in the check
 * it belongs to and the other check as not passed with no policy ids (not evaluated).
 */
import { microsSince } from '../core/clock.ts';
import type { CheckResult, Decision } from '../core/types.ts';
import type { CallState } from './call.ts';

const NOT_EVALUATED: CheckResult = { passed: false, policy_ids: [] };
/** Gateway phases whose refusals are about parameters rather than the action class. */
const PARAMETER_PHASES = new Set(['validate', 'scope', 'limit', 'budget']);

export function buildDecision(call: CallState): Decision {
  const stop = call.stop;
  const evaluation = call.evaluation;
  const base = {
    decision_id: call.decision_id,
    policy_version: call.policyVersion ?? evaluation?.policyVersion ?? 'none',
    errors: evaluation?.errors ?? [],
    latency_us: Math.round(microsSince(call.startedNs)),
    obligations: evaluation?.obligations ?? {},
    decided_by: stop?.phase ?? 'authorize',
    ...(call.approvalId === undefined ? {} : { approval_id: call.approvalId }),
    ...(call.actionHash === undefined ? {} : { action_hash: call.actionHash }),
    ...(call.overrideId === undefined ? {} : { override_id: call.overrideId }),
    ...(call.killSwitchId === undefined ? {} : { kill_switch_id: call.killSwitchId }),
    ...(call.trace === undefined ? {} : { taint: call.trace.taint }),
    ...(call.trace?.manifestHash === undefined ? {} : { context_manifest_hash: call.trace.manifestHash }),
    ...(call.targetScope === undefined ? {} : { target_scope: call.targetScope }),
  };
  if (stop === undefined && call.replay !== undefined) {
    // A repeat of an idempotency key on record: nothing was decided or run; the recorded answer is replayed.
    const replayed: CheckResult = { passed: true, policy_ids: ['builtin.idempotency'] };
    return {
      ...base,
      decided_by: 'idempotency',
      outcome: 'allow',
      code: 'idempotency.replayed',
      reasons: [{ policy_id: 'builtin.idempotency', effect: 'permit', reason: `replay of the recorded answer of ${call.replay.action_id}`, code: 'idempotency.replayed' }],
      checks: { action_class: replayed, parameters: replayed },
    };
  }
  if (stop === undefined && evaluation !== undefined && evaluation.outcome !== 'allow' && call.overrideId !== undefined) {
    // Denied or held by policy, let through by an open break-glass override of the tenant.
    return {
      ...base,
      outcome: 'allow',
      code: 'override.granted',
      reasons: [
        ...evaluation.reasons,
        { policy_id: 'builtin.override', effect: 'permit', reason: `break-glass override ${call.overrideId}`, code: 'override.granted' },
      ],
      checks: evaluation.checks,
    };
  }
  if (stop === undefined && evaluation?.outcome === 'approval_required' && call.approvedBy !== undefined) {
    // Held by policy, released by a consumed approval bound to this exact action.
    return {
      ...base,
      outcome: 'allow',
      code: 'approval.granted',
      reasons: [
        ...evaluation.reasons,
        { policy_id: 'builtin.approval', effect: 'permit', reason: `approved by a reviewer (${call.approvedBy})`, code: 'approval.granted' },
      ],
      checks: evaluation.checks,
    };
  }
  if (stop === undefined) {
    if (evaluation === undefined || evaluation.outcome !== 'allow') {
      // Defensive: a run that ended without a policy answer is never an allow.
      return {
        ...base,
        outcome: 'deny',
        code: 'pipeline.incomplete',
        reasons: [{ policy_id: 'builtin.fail_closed', effect: 'forbid', reason: 'the call was not fully evaluated', code: 'pipeline.incomplete' }],
        checks: { action_class: NOT_EVALUATED, parameters: NOT_EVALUATED },
      };
    }
    return { ...base, outcome: 'allow', code: 'policy.permit', reasons: evaluation.reasons, checks: evaluation.checks };
  }
  let checks = evaluation?.checks;
  if (checks === undefined || stop.phase !== 'authorize') {
    const failed: CheckResult = { passed: false, policy_ids: [...new Set(stop.reasons.map((r) => r.policy_id))] };
    checks = PARAMETER_PHASES.has(stop.phase)
      ? { action_class: evaluation?.checks.action_class ?? NOT_EVALUATED, parameters: failed }
      : { action_class: failed, parameters: evaluation?.checks.parameters ?? NOT_EVALUATED };
  }
  return { ...base, outcome: stop.outcome, code: stop.code, reasons: stop.reasons, checks };
}
