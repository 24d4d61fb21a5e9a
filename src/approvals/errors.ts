/**
 * Stable error codes of the approval workflow and their HTTP statuses. Another tenant's
 * request is reported exactly like a missing one (same code, message and status).
 */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const APPROVAL_ERRORS = {
  ERR_APPROVAL_NOT_FOUND: { status: 404, message: 'approval request not found' },
  ERR_APPROVAL_JUSTIFICATION_INVALID: { status: 400, message: 'a justification is required and must be bounded' },
  ERR_APPROVAL_AGENT_FORBIDDEN: { status: 403, message: 'a token carrying an acting agent cannot decide approvals' },
  ERR_APPROVAL_ROLE_REQUIRED: { status: 403, message: 'the reviewer does not hold the role this approval requires' },
  ERR_APPROVAL_SELF_DECISION: { status: 403, message: 'the requester cannot decide their own approval request' },
  ERR_APPROVAL_NOT_REQUESTER: { status: 403, message: 'only the requesting principal can use this approval' },
  ERR_APPROVAL_TOKEN_INVALID: { status: 403, message: 'the approval token is not valid' },
  ERR_APPROVAL_MISMATCH: { status: 403, message: 'the approval does not cover this exact action' },
  ERR_APPROVAL_NOT_PENDING: { status: 409, message: 'the approval request is no longer pending' },
  ERR_APPROVAL_NOT_APPROVED: { status: 409, message: 'the approval request is not approved' },
  ERR_APPROVAL_CONSUMED: { status: 409, message: 'the approval has already been used' },
  ERR_APPROVAL_EXPIRED: { status: 410, message: 'the approval request has expired' },
} as const;

export type ApprovalErrorCode = keyof typeof APPROVAL_ERRORS;

export function approvalError(code: ApprovalErrorCode, details?: Record<string, unknown>, cause?: unknown): AirlockError {
  return errorFrom(APPROVAL_ERRORS, code, details, cause);
}
