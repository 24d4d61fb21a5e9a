/**
 * Stable error codes of runtime kill switches and their HTTP statuses. Another tenant's
 * switch is reported exactly like a missing one.
 */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const KILL_SWITCH_ERRORS = {
  ERR_KILLSWITCH_NOT_FOUND: { status: 404, message: 'kill switch not found' },
  ERR_KILLSWITCH_RELEASED: { status: 409, message: 'the kill switch has already been released' },
  ERR_KILLSWITCH_JUSTIFICATION_INVALID: { status: 400, message: 'a justification is required, bounded and free of control characters' },
  ERR_KILLSWITCH_SCOPE_INVALID: { status: 400, message: 'scope must be one of global, tenant, agent, tool, connector, session' },
  ERR_KILLSWITCH_TARGET_INVALID: { status: 400, message: 'the target must be a non-empty, bounded name free of control characters' },
  ERR_KILLSWITCH_ROLE_REQUIRED: { status: 403, message: 'the operator does not hold the kill switch role' },
  ERR_KILLSWITCH_FLEET_ROLE_REQUIRED: { status: 403, message: 'a global or fleet-wide kill switch needs the fleet role' },
  ERR_KILLSWITCH_AGENT_FORBIDDEN: { status: 403, message: 'a token carrying an acting agent cannot manage kill switches' },
  ERR_KILLSWITCH_TENANT_MISMATCH: { status: 403, message: "a tenant kill switch can only name the operator's own tenant" },
  ERR_KILLSWITCH_CONFIG_INVALID: { status: 500, message: 'kill switch settings are invalid' },
} as const;

export type KillSwitchErrorCode = keyof typeof KILL_SWITCH_ERRORS;

export function killSwitchError(code: KillSwitchErrorCode, details?: Record<string, unknown>): AirlockError {
  return errorFrom(KILL_SWITCH_ERRORS, code, details);
}
