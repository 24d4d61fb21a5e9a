/**
 * What of an approval request a principal of its tenant sees. The exact action (normalized
 * arguments and target) and the snippets of source text around tainted values can hold what the
 * requester's session read: they are shown to the requester and to reviewers holding the role the
 * request needs, and left out for everyone else of the tenant (who still sees the tool, summary,
 * reasons, tainted argument names and sources, and the size, kinds and outside argument paths of
 * the session's declared target scope, but not the declared targets).
 */
import type { Principal } from '../core/types.ts';
import type { ApprovalRequest } from '../approvals/index.ts';
import { isRequester } from '../approvals/index.ts';

export function mayReadAction(principal: Principal, request: ApprovalRequest): boolean {
  return isRequester(principal, request) || (principal.tenant === request.tenant && principal.roles.includes(request.required_role));
}

export function approvalView(principal: Principal, request: ApprovalRequest): ApprovalRequest {
  if (mayReadAction(principal, request)) return request;
  const { action: _action, evidence, ...rest } = request;
  if (evidence === undefined) return rest;
  return {
    ...rest,
    evidence: {
      context_manifest_hash: evidence.context_manifest_hash,
      tainted_arguments: evidence.tainted_arguments.map(({ snippets: _snippets, ...taint }) => taint),
      ...(evidence.target_scope === undefined ? {} : { target_scope: (({ targets: _targets, ...summary }) => summary)(evidence.target_scope) }),
    },
  };
}
