/** Stable error codes of idempotency records and their HTTP statuses. */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const IDEMPOTENCY_ERRORS = {
  ERR_IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'an idempotency key is 1 to 255 characters with no control characters' },
  ERR_IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'the idempotency key was already used for a different action' },
  ERR_IDEMPOTENCY_IN_PROGRESS: { status: 409, message: 'a call with this idempotency key is still running; retry later' },
  ERR_IDEMPOTENCY_OUTCOME_UNKNOWN: {
    status: 409,
    message: 'the earlier call with this idempotency key has an unknown outcome; it will not run again until an operator or a status check resolves it',
  },
  ERR_IDEMPOTENCY_NOT_FOUND: { status: 404, message: 'idempotency record not found' },
  ERR_IDEMPOTENCY_NOT_UNKNOWN: { status: 409, message: 'the idempotency record has no unknown outcome to resolve' },
  ERR_IDEMPOTENCY_ROLE_REQUIRED: { status: 403, message: 'resolving idempotency records needs the operator role (and no acting agent)' },
  ERR_IDEMPOTENCY_JUSTIFICATION_INVALID: { status: 400, message: 'a justification is required, bounded and free of control characters' },
  ERR_IDEMPOTENCY_OUTCOME_INVALID: { status: 400, message: 'outcome must be executed or not_executed' },
  ERR_IDEMPOTENCY_STATE_INVALID: { status: 400, message: 'state must be one of pending, completed, failed, outcome_unknown' },
  ERR_IDEMPOTENCY_NO_STATUS_CHECK: { status: 409, message: 'the tool declares no status check' },
} as const;

export type IdempotencyErrorCode = keyof typeof IDEMPOTENCY_ERRORS;

export function idempotencyError(code: IdempotencyErrorCode, details?: Record<string, unknown>, cause?: unknown): AirlockError {
  return errorFrom(IDEMPOTENCY_ERRORS, code, details, cause);
}
