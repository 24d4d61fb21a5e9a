/**
 * Stable error codes of break-glass overrides and their HTTP statuses. Another tenant's
 * override is reported exactly like a missing one.
 */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const OVERRIDE_ERRORS = {
  ERR_OVERRIDE_NOT_FOUND: { status: 404, message: 'override not found' },
  ERR_OVERRIDE_JUSTIFICATION_INVALID: { status: 400, message: 'a justification is required, bounded and free of control characters' },
  ERR_OVERRIDE_SCOPE_INVALID: { status: 400, message: 'an override covers exactly one action hash or one tool' },
  ERR_OVERRIDE_TTL_INVALID: { status: 400, message: 'the override lifetime must be a positive whole number of seconds within the cap' },
  ERR_OVERRIDE_ROLE_REQUIRED: { status: 403, message: 'the operator does not hold the override role' },
  ERR_OVERRIDE_AGENT_FORBIDDEN: { status: 403, message: 'a token carrying an acting agent cannot manage overrides' },
  ERR_OVERRIDE_TENANT_MISMATCH: { status: 403, message: 'an override can only cover the operator\'s own tenant' },
  ERR_OVERRIDE_REVOKED: { status: 409, message: 'the override has already been revoked' },
  ERR_OVERRIDE_EXPIRED: { status: 410, message: 'the override has expired' },
  ERR_OVERRIDE_CONFIG_INVALID: { status: 500, message: 'override settings are invalid' },
} as const;

export type OverrideErrorCode = keyof typeof OVERRIDE_ERRORS;

export function overrideError(code: OverrideErrorCode, details?: Record<string, unknown>): AirlockError {
  return errorFrom(OVERRIDE_ERRORS, code, details);
}
