/**
 * authorize: ask the policy engine whether this exact call may run now. The engine
 * sees verified identity, the normalized arguments, the resource scope, the session
 * counters and labels, the arguments' provenance (taint) and which arguments fall outside the
 * session's declared target scope (`context.scope`). Engine faults and a missed deadline deny; so does any evaluation error.
 *
 * The call is counted in the session's activity before its counters are read (outside
 * simulate mode), and policy sees the counts before it: so concurrent calls of one session,
 * on any replica, can only see counts too high, never too low. A session activity store that
 * cannot count or answer denies (`activity.unavailable`).
 */
import { microsSince, nowNs } from '../../core/clock.ts';
import { isAirlockError } from '../../core/errors.ts';
import type { AuthorizationRequest, PolicyEngine, PolicyEvaluation, TargetScopeSummary } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import { builtinReason, denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { breakGlass } from './override.ts';
import { withAncestors } from './trace.ts';
import { TargetScope } from '../../sessions/index.ts';
import type { TargetPattern } from '../../sessions/index.ts';

/** Compiled target scopes by the (immutable, cached) session record's declared targets. */
const scopes = new WeakMap<readonly TargetPattern[], TargetScope>();

/** The argument paths (with ancestors) outside the session's declared targets; null when it declared none. */
export function outsideScope(targets: readonly TargetPattern[] | undefined, args: CallState['arguments'] & object): string[] | null {
  const summary = targetScopeSummary(targets, args);
  return summary === null ? null : withAncestors(summary.outside);
}

/**
 * The session's declared target scope as a decision reports it: the number of targets, their
 * kinds and the argument paths (without ancestors) outside them; null when it declared none.
 */
export function targetScopeSummary(targets: readonly TargetPattern[] | undefined, args: CallState['arguments'] & object): TargetScopeSummary | null {
  if (targets === undefined) return null;
  let scope = scopes.get(targets);
  if (scope === undefined) {
    scope = new TargetScope(targets);
    scopes.set(targets, scope);
  }
  return { declared: targets.length, kinds: [...new Set(targets.map((t) => t.kind))].sort(), outside: scope.outside(args) };
}

class DeadlineExceeded extends Error {}

async function evaluateWithin(engine: PolicyEngine, request: AuthorizationRequest, timeoutMs: number): Promise<PolicyEvaluation> {
  const started = nowNs();
  const pending = engine.authorize(request);
  let evaluation: PolicyEvaluation;
  if (pending instanceof Promise) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceeded()), timeoutMs);
    });
    try {
      evaluation = await Promise.race([pending, deadline]);
    } finally {
      clearTimeout(timer);
    }
  } else {
    evaluation = pending;
  }
  // A synchronous engine cannot be pre-empted; an answer that arrived late still denies.
  if (microsSince(started) > timeoutMs * 1000) throw new DeadlineExceeded();
  return evaluation;
}

export async function authorize(call: CallState, env: PipelineEnv): Promise<void> {
  const { principal, tool, resource } = call;
  const args = call.arguments;
  if (principal === undefined || tool === undefined || args === undefined || resource === undefined) return;
  const sessionId = call.session?.id ?? null;
  let counters = { callCount: 0, toolCallCount: 0, recordsReadLast10m: 0 };
  if (sessionId !== null) {
    const now = env.clock.now();
    const counted = call.mode !== 'simulate';
    try {
      const after = counted ? await env.sessionActivity.countCall(sessionId, tool.name, now) : await env.sessionActivity.snapshot(sessionId, tool.name, now);
      // Policy sees the calls before this one.
      counters = counted ? { ...after, callCount: Math.max(0, after.callCount - 1), toolCallCount: Math.max(0, after.toolCallCount - 1) } : after;
    } catch (error) {
      denyWith(call, 'authorize', 'activity.unavailable', 'builtin.fail_closed', `the session's activity could not be ${isAirlockError(error) ? `read (${error.code})` : 'read'}`);
      return;
    }
  }
  const labels = call.trace?.labels;
  call.sessionSnapshot = {
    id: sessionId,
    attributes: call.session?.attributes ?? {},
    ...counters,
    ...(labels === undefined
      ? {}
      : {
          labels: {
            untrustedSeen: labels.untrusted_seen,
            lowestTrust: labels.lowest_trust,
            maxClassification: labels.max_classification,
            ...(call.trace?.manifestHash === undefined ? {} : { manifestHash: call.trace.manifestHash }),
          },
        }),
  };
  const targetScope = targetScopeSummary(call.session?.targets, args);
  if (targetScope !== null) call.targetScope = targetScope;
  const outside = targetScope === null ? null : withAncestors(targetScope.outside);
  const request: AuthorizationRequest = {
    principal,
    tool,
    arguments: args,
    resource,
    affectedCount: call.affectedCount ?? 1,
    session: call.sessionSnapshot,
    environment: { now: env.clock.now() },
    ...(call.request.intent === undefined ? {} : { intent: call.request.intent }),
    ...(outside === null ? {} : { scope: { outside } }),
    ...(call.trace === undefined || call.trace.arguments.length === 0
      ? {}
      : {
          taint: {
            arguments: call.trace.arguments,
            sources: call.trace.sources,
            injected: call.trace.injected,
            instructed: call.trace.instructed,
            directive: call.trace.directive,
            unnamed: call.trace.unnamed,
          },
        }),
  };

  const engine = env.policy();
  let evaluation: PolicyEvaluation;
  try {
    evaluation = await evaluateWithin(engine, request, env.policyTimeoutMs);
  } catch (error) {
    const timedOut = error instanceof DeadlineExceeded;
    if (isAirlockError(error) && error.code === 'ERR_POLICY_UNREPRESENTABLE') {
      // A request value Cedar cannot take (the intent, a session attribute): malformed input, not an engine fault.
      call.stop = { outcome: 'deny', code: 'validate.unrepresentable', phase: 'authorize', reasons: [builtinReason('builtin.unrepresentable', 'validate.unrepresentable', error.message)] };
      call.policyVersion = engine.version;
      return;
    }
    const code = timedOut ? 'policy.timeout' : 'policy.engine_error';
    const detail = timedOut
      ? `policy decision exceeded ${env.policyTimeoutMs} ms`
      : `policy engine failed: ${isAirlockError(error) ? error.code : 'exception'}`;
    call.stop = { outcome: 'deny', code, phase: 'authorize', reasons: [builtinReason('builtin.fail_closed', code, detail)] };
    call.policyVersion = engine.version;
    return;
  }
  call.evaluation = evaluation;
  call.policyVersion = evaluation.policyVersion;
  if (evaluation.outcome === 'approval_required') {
    // Not a stop yet: the approve phase turns the hold into a stored, reviewable request.
    call.hold = { outcome: 'approval_required', code: primaryCode(evaluation), phase: 'authorize', reasons: evaluation.reasons };
  } else if (evaluation.outcome === 'deny') {
    if (await breakGlass(call, env)) return;
    call.stop = {
      outcome: evaluation.outcome,
      code: primaryCode(evaluation),
      phase: 'authorize',
      reasons: evaluation.reasons,
    };
  }
}

function primaryCode(evaluation: PolicyEvaluation): string {
  if (evaluation.errors.length > 0) return 'policy.eval_error';
  if (evaluation.outcome === 'approval_required') return 'policy.approval_required';
  return evaluation.reasons.find((r) => r.effect === 'forbid')?.code ?? 'policy.no_permit';
}
