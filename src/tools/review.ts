/**
 * The arguments of a held call as a reviewer sees them: the normalized arguments in full (the
 * reviewer judges the exact action), except values under secret-sounding keys and strings that
 * look like credentials, which are replaced by "[redacted]" at any depth. Never throws; what
 * cannot be read is shown as `{ $invalid: ... }`.
 */
import type { JsonValue } from '../core/canonical.ts';
import { isJsonObject, toPlainJson } from './json.ts';
import { isSecretKey, looksLikeSecret } from './secrets.ts';
import { REDACTED } from './summary.ts';

/** Deepest nesting shown; deeper values are replaced by a marker. */
export const REVIEW_MAX_DEPTH = 16;

function redact(value: JsonValue, depth: number): JsonValue {
  if (depth > REVIEW_MAX_DEPTH) return '[too deep]';
  if (typeof value === 'string') return looksLikeSecret(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (isJsonObject(value)) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, v] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

export function reviewableArguments(args: unknown): JsonValue {
  try {
    const copied = toPlainJson(args);
    if (!copied.ok) return { $invalid: { type: 'unreadable' } };
    return redact(copied.value, 0);
  } catch {
    return { $invalid: { type: 'unreadable' } };
  }
}
