/**
 * Checks the attributes an application sets on a session against the declared
 * `session_attributes` of the config: only declared names, only their declared type.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';

const MAX_STRING = 1024;

export function validateSessionAttributes(
  input: unknown,
  declared: Record<string, 'String' | 'Long' | 'Bool'>,
): Record<string, JsonValue> {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || Object.getPrototypeOf(input) !== Object.prototype) {
    throw new AirlockError('ERR_SESSION_ATTRIBUTES', 'session attributes must be an object', { status: 400 });
  }
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    const type = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (type === undefined) {
      throw new AirlockError('ERR_SESSION_ATTRIBUTES', `session attribute ${JSON.stringify(name.slice(0, 64))} is not declared in the config`, { status: 400 });
    }
    const ok =
      (type === 'String' && typeof value === 'string' && value.length <= MAX_STRING) ||
      (type === 'Long' && Number.isSafeInteger(value)) ||
      (type === 'Bool' && typeof value === 'boolean');
    if (!ok) {
      throw new AirlockError('ERR_SESSION_ATTRIBUTES', `session attribute ${name} must be a ${type}`, { status: 400 });
    }
    out[name] = value as JsonValue;
  }
  return out;
}
