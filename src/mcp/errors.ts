/** Stable error codes of the MCP definition module (pins, names, definitions). */
import type { AirlockError } from '../core/errors.ts';
import { errorFrom } from '../core/errors.ts';

export const MCP_ERRORS = {
  ERR_MCP_DEFINITION_INVALID: { status: 502, message: 'the upstream tool definition is not usable' },
  ERR_MCP_NAME_INVALID: { status: 400, message: 'the tool name cannot be exposed' },
  ERR_MCP_NAME_COLLISION: { status: 400, message: 'two tools would be exposed under the same name' },
  ERR_MCP_PIN_NOT_FOUND: { status: 404, message: 'no such upstream tool definition' },
  ERR_MCP_PIN_STALE: { status: 409, message: 'the definition changed since it was reviewed; review the current one' },
  ERR_MCP_PIN_UNAVAILABLE: { status: 503, message: 'the pin store cannot be read or written' },
} as const;

export type McpErrorCode = keyof typeof MCP_ERRORS;

export function mcpError(code: McpErrorCode, details?: Record<string, unknown>, cause?: unknown): AirlockError {
  return errorFrom(MCP_ERRORS, code, details, cause);
}
