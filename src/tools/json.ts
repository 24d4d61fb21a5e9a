/**
 * Plain-JSON intake for tool arguments: a defensive deep copy that accepts only what JSON
 * can carry (plain objects, arrays, finite numbers, well-formed strings, booleans, null)
 * and refuses prototypes, accessors, symbols, `__proto__` keys, holes, cycles and
 * excessive depth. The copy is what gets validated, hashed and executed, so a caller
 * cannot change the arguments after they were checked. Also: dotted-path reads.
 */
import type { JsonValue } from '../core/canonical.ts';

export const MAX_ARGUMENT_DEPTH = 64;

export interface JsonIssue {
  /** JSON Pointer of the offending location (`''` for the arguments themselves). */
  path: string;
  message: string;
}

export type PlainJsonResult = { ok: true; value: JsonValue } | { ok: false; errors: JsonIssue[] };

/** RFC 6901 escaping of one reference token. */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

class Refusal extends Error {
  readonly issue: JsonIssue;
  constructor(path: string, message: string) {
    super(message);
    this.issue = { path, message };
  }
}

function copy(value: unknown, path: string, depth: number, seen: Set<object>): JsonValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new Refusal(path, 'must be a finite number');
      return Object.is(value, -0) ? 0 : value;
    case 'string':
      if (!value.isWellFormed()) throw new Refusal(path, 'must be a well-formed unicode string');
      return value;
    case 'object':
      break;
    default:
      throw new Refusal(path, `a value of type ${typeof value} is not json`);
  }
  if (depth > MAX_ARGUMENT_DEPTH) throw new Refusal(path, `nesting deeper than ${MAX_ARGUMENT_DEPTH} levels`);
  const obj = value as object;
  if (seen.has(obj)) throw new Refusal(path, 'must not contain a cycle');
  seen.add(obj);
  try {
    if (Object.getOwnPropertySymbols(obj).length > 0) throw new Refusal(path, 'must not have symbol keys');
    if (Array.isArray(obj)) {
      if (Object.getPrototypeOf(obj) !== Array.prototype) throw new Refusal(path, 'must be a plain array');
      const names = Object.getOwnPropertyNames(obj);
      // Own names of a dense plain array are its indices plus `length`.
      if (names.length !== obj.length + 1) throw new Refusal(path, 'must be a dense array without extra properties');
      const out: JsonValue[] = [];
      for (let i = 0; i < obj.length; i++) {
        const descriptor = Object.getOwnPropertyDescriptor(obj, i);
        if (descriptor === undefined || !('value' in descriptor)) {
          throw new Refusal(`${path}/${i}`, 'must be a plain data element');
        }
        out.push(copy(descriptor.value, `${path}/${i}`, depth + 1, seen));
      }
      return out;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) throw new Refusal(path, 'must be a plain object');
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.getOwnPropertyNames(obj)) {
      const childPath = `${path}/${pointerToken(key)}`;
      if (key === '__proto__') throw new Refusal(childPath, 'the key __proto__ is not allowed');
      if (!key.isWellFormed()) throw new Refusal(childPath, 'keys must be well-formed unicode strings');
      const descriptor = Object.getOwnPropertyDescriptor(obj, key);
      if (descriptor === undefined || !('value' in descriptor) || descriptor.enumerable !== true) {
        throw new Refusal(childPath, 'must be a plain enumerable data property');
      }
      out[key] = copy(descriptor.value, childPath, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

/** Deep-copies `value` if it is plain JSON; never throws. */
export function toPlainJson(value: unknown): PlainJsonResult {
  try {
    return { ok: true, value: copy(value, '', 0, new Set()) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, errors: [error.issue] };
    // Proxies and exotic objects can throw from their traps: refuse, never crash.
    return { ok: false, errors: [{ path: '', message: 'arguments could not be read as json' }] };
  }
}

export function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Plain-object copy of tool arguments: anything but a JSON object is refused. */
export function toArgumentObject(
  value: unknown,
): { ok: true; value: Record<string, JsonValue> } | { ok: false; errors: JsonIssue[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { ok: false, errors: [{ path: '', message: `arguments must be a json object, not ${kind}` }] };
  }
  const copied = toPlainJson(value);
  if (!copied.ok) return copied;
  return { ok: true, value: copied.value as Record<string, JsonValue> };
}

/**
 * Reads a dotted path (`a.b.c`) through own properties of nested objects. Returns
 * undefined when any step is missing or is not an object.
 */
export function readPath(args: Record<string, JsonValue>, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = args;
  for (const segment of path.split('.')) {
    if (!isJsonObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}
