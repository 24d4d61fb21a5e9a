/**
 * From Cedar's answer to an Airlock decision (docs/policy-model.md, "From Cedar's answer
 * to a decision"): evaluation errors deny, plain forbids deny, approval forbids hold the
 * call when a permit would allow it, approval-only permits hold it, plain permits allow it
 * with their obligations, and no permit denies by default. Pure: Cedar is called by the
 * engine, which hands the answers in.
 */
import type { CheckResult, DecisionReason, Obligations, PolicyEvaluation } from '../core/types.ts';
import type { CompiledPolicy, PolicyCheck } from './types.ts';

/** The part of a Cedar response the decision depends on. */
export interface CedarAnswer {
  decision: 'allow' | 'deny';
  /** Determining policy ids (satisfied permits on allow, satisfied forbids on deny). */
  reason: string[];
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

/**
 * Maps Cedar's answer for the full slice (and, when forbids decided, the answer for the
 * permits-only slice) to a PolicyEvaluation.
 */
export function decide(
  first: CedarAnswer,
  permitsOnly: () => CedarAnswer,
  policies: Map<string, CompiledPolicy>,
  policyVersion: string,
): PolicyEvaluation {
  const base = { policyVersion, errors: [] as string[] };

  // 1. Any evaluation error denies.
  if (first.errors.length > 0) {
    const failing = byBundleOrder([...new Set(first.errors.map((e) => e.policyId))], policies);
    return {
      ...base,
      outcome: 'deny',
      reasons: failing.map((p) => ({ policy_id: p.id, effect: p.effect, reason: DEFAULT_TEXT.error, code: 'policy.eval_error' })),
      checks: { action_class: check(false, failing, 'action_class'), parameters: check(false, failing, 'parameters') },
      obligations: {},
      errors: first.errors.map((e) => `${e.policyId}: ${e.message}`),
    };
  }

  if (first.decision === 'allow') {
    const permits = byBundleOrder(first.reason, policies);
    const plain = permits.filter((p) => p.approval === undefined);
    // 5. Allowed by at least one plain permit.
    if (plain.length > 0) {
      return {
        ...base,
        outcome: 'allow',
        reasons: plain.map((p) => reasonOf(p, 'policy.permit', DEFAULT_TEXT.permit)),
        checks: { action_class: check(true, plain, 'action_class'), parameters: check(true, plain, 'parameters') },
        obligations: credentials(plain),
      };
    }
    // 4. Every determining permit carries @approval.
    const holdsIn = (which: PolicyCheck): boolean => permits.some((p) => p.check === which);
    return {
      ...base,
      outcome: 'approval_required',
      reasons: permits.map((p) => reasonOf(p, 'policy.approval_required', DEFAULT_TEXT.approval)),
      checks: {
        action_class: check(!holdsIn('action_class'), permits, 'action_class'),
        parameters: check(!holdsIn('parameters'), permits, 'parameters'),
      },
      obligations: withApproval(credentials(permits), permits),
    };
  }

  const forbids = byBundleOrder(first.reason, policies);
  // 6. No permit matched and nothing forbade: default deny.
  if (forbids.length === 0) {
    return {
      ...base,
      outcome: 'deny',
      reasons: [{ policy_id: DEFAULT_DENY_ID, effect: 'forbid', reason: DEFAULT_TEXT.noPermit, code: 'policy.no_permit' }],
      checks: { action_class: check(false, [], 'action_class', [DEFAULT_DENY_ID]), parameters: check(true, [], 'parameters') },
      obligations: {},
    };
  }

  const second = permitsOnly();
  const permitMatched = second.decision === 'allow' && second.errors.length === 0;
  const permits = permitMatched ? byBundleOrder(second.reason, policies) : [];
  const firedIn = (which: PolicyCheck): boolean => forbids.some((p) => p.check === which);
  const determining = [...forbids, ...permits];
  const checks = {
    action_class: check(permitMatched && !firedIn('action_class'), determining, 'action_class', permitMatched ? [] : [DEFAULT_DENY_ID]),
    parameters: check(!firedIn('parameters'), determining, 'parameters'),
  };
  const plainForbids = forbids.filter((p) => p.approval === undefined);
  // 2. A plain forbid denies.
  if (plainForbids.length > 0) {
    return {
      ...base,
      outcome: 'deny',
      reasons: plainForbids.map((p) => reasonOf(p, 'policy.forbid', DEFAULT_TEXT.forbid)),
      checks,
      obligations: {},
    };
  }
  // 3. Only approval forbids fired: hold when a permit would allow, else no permit.
  if (!permitMatched) {
    return {
      ...base,
      outcome: 'deny',
      reasons: [{ policy_id: DEFAULT_DENY_ID, effect: 'forbid', reason: DEFAULT_TEXT.noPermit, code: 'policy.no_permit' }],
      checks,
      obligations: {},
    };
  }
  const plainPermits = permits.filter((p) => p.approval === undefined);
  const holds = [...forbids, ...(plainPermits.length > 0 ? [] : permits)].sort((a, b) => a.index - b.index);
  return {
    ...base,
    outcome: 'approval_required',
    reasons: forbids.map((p) => reasonOf(p, 'policy.approval_required', DEFAULT_TEXT.approval)),
    checks,
    obligations: withApproval(credentials(plainPermits.length > 0 ? plainPermits : permits), holds),
  };
}
