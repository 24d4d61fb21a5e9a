/**
 * approve: when policy holds a call for a human, store a reviewable approval request
 * bound to the exact action (its action hash) and stop with its id. In simulate mode
 * nothing is stored: the approval state is only reported.
 *
 * A call that presents an approval token runs the whole pipeline again first: the token is
 * only looked at when the policy active *now* still holds this exact call for approval (a
 * policy that now denies wins). It is then verified and consumed atomically: it must be bound
 * to this call's action hash (any changed argument needs a new approval), unexpired, unused,
 * and presented by the principal that asked (same user and agent), in the session it asked in.
 */
import { canonicalHash } from '../../core/canonical.ts';
import { isAirlockError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { ApprovalRequest } from '../../approvals/index.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { actionSummary } from '../summary.ts';
import { reviewableArguments } from '../../tools/index.ts';
import { breakGlass } from './override.ts';

/** Canonical hash of exactly what would run: tool and its version, arguments, target, principal, tenant. */
export function actionHash(call: CallState): string {
  if (call.actionHash !== undefined) return call.actionHash;
  const { tool, principal, resource } = call;
  if (tool === undefined || principal === undefined || call.arguments === undefined) {
    throw new Error('action hash needs a resolved, validated call');
  }
  return (call.actionHash = canonicalHash({
    tool: tool.name,
    tool_version: tool.version,
    arguments: call.arguments,
    resource: { type: resource?.type ?? null, id: resource?.id ?? null },
    principal: { user: principal.user, issuer: principal.issuer },
    tenant: principal.tenant,
  }));
}

/** `ERR_APPROVAL_TOKEN_INVALID` -> `approval.token_invalid`. */
function reasonCodeOf(error: unknown): string {
  return isAirlockError(error) && error.code.startsWith('ERR_APPROVAL_')
    ? `approval.${error.code.slice('ERR_APPROVAL_'.length).toLowerCase()}`
    : 'approval.unavailable';
}

async function consumeToken(call: CallState, env: PipelineEnv, token: string): Promise<void> {
  const principal = call.principal;
  if (principal === undefined) return;
  try {
    const approved = await env.approvalTokens.consume(token, { actionHash: actionHash(call), principal, session: call.session?.id ?? null });
    call.approvedBy = approved.id;
    call.approvalId = approved.id;
  } catch (error) {
    const code = reasonCodeOf(error);
    const detail = isAirlockError(error) ? error.message : 'the approval could not be checked';
    denyWith(call, 'approve', code, 'builtin.approval', `approval token refused: ${detail}`);
  }
}

export async function approve(call: CallState, env: PipelineEnv): Promise<void> {
  const hold = call.hold;
  if (hold === undefined) return;
  if (call.mode === 'simulate') {
    if (await breakGlass(call, env)) delete call.hold;
    else call.stop = hold;
    return;
  }
  const token = call.request.approval_token;
  if (token !== undefined) {
    await consumeToken(call, env, token);
    return;
  }
  if (await breakGlass(call, env)) {
    delete call.hold;
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
    requester: { user: principal.user, agent: principal.agent ?? null, issuer: principal.issuer, delegation: [...principal.delegation] },
    required_role: role,
    policy_version: call.policyVersion ?? 'none',
    reasons: hold.reasons,
    summary: actionSummary(call),
    action: {
      arguments: reviewableArguments(call.arguments ?? {}),
      target: call.resource === undefined ? null : { type: call.resource.type, id: call.resource.id, tenant: call.resource.tenant },
    },
    affected_count: call.affectedCount ?? 1,
    args_hash: call.argsHash ?? '',
    session_id: call.session?.id ?? null,
    evidence: {
      context_manifest_hash: call.trace?.manifestHash ?? null,
      tainted_arguments: await explainedTaint(call, env),
      ...(call.targetScope === undefined
        ? {}
        : { target_scope: { ...call.targetScope, targets: (call.session?.targets ?? []).map(({ kind, value }) => ({ kind, value })) } }),
    },
    created_at: now,
    expires_at: now + env.approvalTtlMs,
  };
  await env.approvals.create(request);
  call.approvalId = request.id;
  call.approvalRequest = request;
  call.stop = hold;
}

/**
 * The call's tainted arguments, each with snippets of the text around its value (for the
 * reviewer). Snippets are an aid: when the provenance log cannot be read now, the taint the
 * trace found is reported without them.
 */
async function explainedTaint(call: CallState, env: PipelineEnv): Promise<NonNullable<ApprovalRequest['evidence']>['tainted_arguments']> {
  const taint = call.trace?.taint ?? [];
  if (taint.length === 0 || call.arguments === undefined) return taint;
  const explanation = await env.provenance.explain(call.session ?? null, call.arguments).catch(() => []);
  const explained = new Map(explanation.map((t) => [t.argument, t.snippets]));
  return taint.map((t) => {
    const snippets = explained.get(t.argument);
    return snippets === undefined || snippets.length === 0 ? t : { ...t, snippets };
  });
}
