/** Applies a text transformation to every string of a JSON value (keys stay as they are), copying. */
import type { JsonValue } from '../core/canonical.ts';

export function mapStrings(value: JsonValue, fn: (text: string) => string): JsonValue {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, fn);
    return out;
  }
  return value;
}
