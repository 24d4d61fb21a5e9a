/**
 * Making any JSON value recordable: strings that are not well-formed Unicode (a lone UTF-16
 * surrogate) cannot be canonicalized, hashed or stored as UTF-8 text, yet a refusal of a call
 * that carried one must still be recorded. `escapeIllFormed` rewrites each such string —
 * object keys included — as its JSON escape (`\ud800`, quotes and backslashes escaped too,
 * so `JSON.parse('"' + text + '"')` gives the original back exactly) and lists the paths it
 * rewrote, so nothing is lost and nothing is ambiguous. Well-formed values come back as they
 * were (the same objects).
 */
import type { JsonValue } from './canonical.ts';

/** `s` as the text between the quotes of its JSON form (lone surrogates as `\udXXX` escapes). */
export function escapeString(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Whether every string in `value`, keys included, is well-formed Unicode. */
export function isWellFormedJson(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(isWellFormedJson);
  for (const [key, child] of Object.entries(value)) {
    if (!key.isWellFormed() || !isWellFormedJson(child)) return false;
  }
  return true;
}

/**
 * `value` with every ill-formed string escaped; `escaped` receives the path of each rewritten
 * string (`$.a.b[0]`, and `$.a{key}` for a rewritten key, named by its escaped form, with `~`
 * appended when a well-formed key of the same object already spells that escape).
 */
export function escapeIllFormed<T>(value: T, escaped: string[], path = '$'): T {
  if (typeof value === 'string') {
    if (value.isWellFormed()) return value;
    escaped.push(path);
    return escapeString(value) as T;
  }
  if (value === null || typeof value !== 'object' || isWellFormedJson(value)) return value;
  if (Array.isArray(value)) return value.map((child, i) => escapeIllFormed(child, escaped, `${path}[${i}]`)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value as Record<string, JsonValue>)) {
    let name = key;
    if (!key.isWellFormed()) {
      name = escapeString(key);
      // A well-formed key may already spell the escape: keep both (the path list says which is which).
      while (Object.hasOwn(value, name) || Object.hasOwn(out, name)) name += '~';
      escaped.push(`${path}{${name}}`);
    }
    out[name] = escapeIllFormed(child, escaped, `${path}.${name}`);
  }
  return out as T;
}
