/**
 * approve: when policy holds a call for a human, store a reviewable approval request
 * bound to the exact action (its action hash) and stop with its id. In simulate mode
 * nothing is stored: the approval state is only reported.
 *
 * Approval tokens are verified and consumed by the approvals workflow; until that
 * workflow is configured, a call presenting one is refused (fail closed).
 */
import { canonicalHash } from '../../core/canonical.ts';
import { newId } from '../../core/ids.ts';
import type { ApprovalRequest } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { actionSummary } from '../summary.ts';

/** Canonical hash of exactly what would run: tool and its version, arguments, target, principal, tenant. */
export function actionHash(call: CallState): string {
  const { tool, principal, resource } = call;
  if (tool === undefined || principal === undefined || call.arguments === undefined) {
    throw new Error('action hash needs a resolved, validated call');
  }
  return canonicalHash({
    tool: tool.name,
    tool_version: tool.version,
    arguments: call.arguments,
    resource: { type: resource?.type ?? null, id: resource?.id ?? null },
    principal: { user: principal.user, issuer: principal.issuer },
    tenant: principal.tenant,
  });
}

export async function approve(call: CallState, env: PipelineEnv): Promise<void> {
  if (call.request.approval_token !== undefined) {
    denyWith(call, 'approve', 'approval.unsupported', 'builtin.approval', 'approval tokens are not accepted by this gateway');
    return;
  }
  const hold = call.hold;
  if (hold === undefined) return;
  if (call.mode === 'simulate') {
    call.stop = hold;
    return;
  }
  const { tool, principal } = call;
  const role = call.evaluation?.obligations.approval?.role;
  if (tool === undefined || principal === undefined || role === undefined) {
    denyWith(call, 'approve', 'approval.misconfigured', 'builtin.approval', 'policy asked for approval without naming a role');
    return;
  }
  const now = env.clock.now();
  const request: ApprovalRequest = {
    id: newId('apr'),
    state: 'pending',
    action_hash: actionHash(call),
    tool: tool.name,
    tool_version: tool.version,
    tenant: principal.tenant,
    requester: { user: principal.user, agent: principal.agent ?? null },
    required_role: role,
    policy_version: call.policyVersion ?? 'none',
    reasons: hold.reasons,
    summary: actionSummary(call),
    affected_count: call.affectedCount ?? 1,
    args_hash: call.argsHash ?? '',
    session_id: call.session?.id ?? null,
    created_at: now,
    expires_at: now + env.approvalTtlMs,
  };
  await env.approvals.create(request);
  call.approvalId = request.id;
  call.stop = hold;
}
