/**
 * From Cedar's answer to an Airlock decision (docs/policy-model.md, "From Cedar's answer
 * to a decision"): evaluation errors deny, plain forbids deny, approval forbids hold the
 * call when a permit would allow it, approval-only permits hold it, plain permits allow it
 * with their obligations, and no permit denies by default. Pure: Cedar is called by the
 * engine, which hands the answers in.
 */
import type { CheckResult, DecisionReason, Obligations, PolicyEvaluation } from '../core/types.ts';
import type { CompiledPolicy, PolicyCheck } from './types.ts';

/**
 * What one evaluation of a tool's slice reports: every satisfied policy (the slice is
 * evaluated with all effects set to `permit`, see slices.ts) and every evaluation error.
 */
export interface SliceAnswer {
  satisfied: string[];
  errors: Array<{ policyId: string; message: string }>;
}

export const DEFAULT_DENY_ID = 'builtin.default_deny';

const DEFAULT_TEXT = {
  permit: 'permitted by policy',
  forbid: 'forbidden by policy',
  approval: 'requires approval',
  error: 'policy evaluation failed',
  noPermit: 'no policy permits this call',
} as const;

function byBundleOrder(ids: string[], policies: Map<string, CompiledPolicy>): CompiledPolicy[] {
  const found: CompiledPolicy[] = [];
  for (const id of ids) {
    const p = policies.get(id);
    if (p !== undefined) found.push(p);
  }
  return found.sort((a, b) => a.index - b.index);
}

function reasonOf(p: CompiledPolicy, code: string, fallback: string): DecisionReason {
  return { policy_id: p.id, effect: p.effect, reason: p.reason ?? fallback, code };
}

function check(passed: boolean, members: CompiledPolicy[], which: PolicyCheck, extra: string[] = []): CheckResult {
  return { passed, policy_ids: [...members.filter((p) => p.check === which).map((p) => p.id), ...extra] };
}

/** Credential obligations from permits: the first scope in bundle order, the shortest ttl. */
function credentials(permits: CompiledPolicy[]): Obligations {
  const obligations: Obligations = {};
  for (const p of permits) {
    if (obligations.credentialScope === undefined && p.credentialScope !== undefined) {
      obligations.credentialScope = p.credentialScope;
    }
    if (p.credentialTtlSeconds !== undefined) {
      obligations.credentialTtlSeconds = Math.min(obligations.credentialTtlSeconds ?? Infinity, p.credentialTtlSeconds);
    }
  }
  return obligations;
}

function withApproval(obligations: Obligations, holds: CompiledPolicy[]): Obligations {
  const first = holds[0];
  if (first?.approval !== undefined) obligations.approval = { role: first.approval, policy_id: first.id };
  return obligations;
}

/** Cedar's own combination rule: a satisfied forbid denies, else a satisfied permit allows. */
export function cedarDecision(satisfied: CompiledPolicy[]): { decision: 'allow' | 'deny'; reason: string[] } {
  const forbids = satisfied.filter((p) => p.effect === 'forbid');
  if (forbids.length > 0) return { decision: 'deny', reason: forbids.map((p) => p.id) };
  const permits = satisfied.filter((p) => p.effect === 'permit');
  return permits.length > 0 ? { decision: 'allow', reason: permits.map((p) => p.id) } : { decision: 'deny', reason: [] };
}

const defaultDeny = (): DecisionReason => ({
  policy_id: DEFAULT_DENY_ID,
  effect: 'forbid',
  reason: DEFAULT_TEXT.noPermit,
  code: 'policy.no_permit',
});

/** Maps the satisfied policies and errors of one slice evaluation to a PolicyEvaluation. */
export function decide(answer: SliceAnswer, policies: Map<string, CompiledPolicy>, policyVersion: string): PolicyEvaluation {
  const base = { policyVersion, errors: [] as string[] };

  // 1. Any evaluation error denies.
  if (answer.errors.length > 0) {
    const failing = byBundleOrder([...new Set(answer.errors.map((e) => e.policyId))], policies);
    return {
      ...base,
      outcome: 'deny',
      reasons: failing.map((p) => reasonOf(p, 'policy.eval_error', DEFAULT_TEXT.error)),
      checks: { action_class: check(false, failing, 'action_class'), parameters: check(false, failing, 'parameters') },
      obligations: {},
      errors: answer.errors.map((e) => `${e.policyId}: ${e.message}`),
    };
  }

  const satisfied = byBundleOrder(answer.satisfied, policies);
  const forbids = satisfied.filter((p) => p.effect === 'forbid');
  const permits = satisfied.filter((p) => p.effect === 'permit');
  const plainForbids = forbids.filter((p) => p.approval === undefined);
  const plainPermits = permits.filter((p) => p.approval === undefined);
  const permitMatched = permits.length > 0;
  // A check fails when one of its forbids fired or one of its policies holds the call.
  const heldByPermits = forbids.length === 0 && plainPermits.length === 0 ? permits : [];
  const failsIn = (which: PolicyCheck): boolean =>
    forbids.some((p) => p.check === which) || heldByPermits.some((p) => p.check === which);
  const determining = forbids.length === 0 && plainPermits.length > 0 ? plainPermits : [...forbids, ...permits];
  const checks = {
    action_class: check(permitMatched && !failsIn('action_class'), determining, 'action_class', permitMatched ? [] : [DEFAULT_DENY_ID]),
    parameters: check(!failsIn('parameters'), determining, 'parameters'),
  };

  // 2. A determining forbid without @approval denies.
  if (plainForbids.length > 0) {
    return { ...base, outcome: 'deny', reasons: plainForbids.map((p) => reasonOf(p, 'policy.forbid', DEFAULT_TEXT.forbid)), checks, obligations: {} };
  }
  // 3 and 6. No permit matched: deny by default (approval forbids cannot help).
  if (!permitMatched) {
    return { ...base, outcome: 'deny', reasons: [defaultDeny()], checks, obligations: {} };
  }
  // 3. Only approval forbids fired and a permit would allow: hold for approval.
  if (forbids.length > 0) {
    const holds = [...forbids, ...(plainPermits.length > 0 ? [] : permits)].sort((a, b) => a.index - b.index);
    return {
      ...base,
      outcome: 'approval_required',
      reasons: forbids.map((p) => reasonOf(p, 'policy.approval_required', DEFAULT_TEXT.approval)),
      checks,
      obligations: withApproval(credentials(plainPermits.length > 0 ? plainPermits : permits), holds),
    };
  }
  // 5. Allowed by at least one plain permit.
  if (plainPermits.length > 0) {
    return {
      ...base,
      outcome: 'allow',
      reasons: plainPermits.map((p) => reasonOf(p, 'policy.permit', DEFAULT_TEXT.permit)),
      checks,
      obligations: credentials(plainPermits),
    };
  }
  // 4. Allowed, and every determining permit carries @approval.
  return {
    ...base,
    outcome: 'approval_required',
    reasons: permits.map((p) => reasonOf(p, 'policy.approval_required', DEFAULT_TEXT.approval)),
    checks,
    obligations: withApproval(credentials(permits), permits),
  };
}
