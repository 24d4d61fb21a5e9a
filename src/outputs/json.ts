/**
 * Applies a text transformation to every string of a JSON value — keys included, since a
 * reader (the model) sees keys as much as values — copying. Two keys that transform to the
 * same text both stay (a ` (n)` suffix keeps them apart); a `__proto__` key stays a key.
 */
import type { JsonValue } from '../core/canonical.ts';

export function mapStrings(value: JsonValue, fn: (text: string) => string): JsonValue {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, fn));
  if (value !== null && typeof value === 'object') {
    const entries: Array<[string, JsonValue]> = [];
    const names = new Set<string>();
    for (const [k, v] of Object.entries(value)) {
      const base = fn(k);
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base} (${n})`;
      names.add(name);
      entries.push([name, mapStrings(v, fn)]);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(entries) as JsonValue;
  }
  return value;
}
