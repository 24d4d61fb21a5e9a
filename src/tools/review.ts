/**
 * The arguments of a held call as a reviewer sees them: the normalized arguments in full (the
 * reviewer judges the exact action), except values under secret-sounding keys, which are
 * replaced by "[redacted]" at any depth, and credentials inside strings, which are replaced
 * word by word (redactSecretsInText) — the rest of a string is shown however long it is, so
 * padding an argument cannot hide it from the reviewer. Never throws; what cannot be read is
 * shown as `{ $invalid: ... }`.
 */
import type { JsonValue } from '../core/canonical.ts';
import { isJsonObject, toPlainJson } from './json.ts';
import { isSecretKey, redactSecretsInText } from './secrets.ts';
import { REDACTED } from './summary.ts';

/** Deepest nesting shown; deeper values are replaced by a marker. */
export const REVIEW_MAX_DEPTH = 16;

function redact(value: JsonValue, depth: number): JsonValue {
  if (depth > REVIEW_MAX_DEPTH) return '[too deep]';
  if (typeof value === 'string') return redactSecretsInText(value, REDACTED);
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
