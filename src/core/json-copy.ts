/**
 * jsonCopy: the value `JSON.parse(JSON.stringify(value))` gives, made without the text in
 * between. Plain data (plain or null-prototype objects, arrays, strings, booleans, null,
 * finite numbers) is copied directly: members whose value JSON drops (undefined, functions,
 * symbols) are dropped, such array elements become null, -0 becomes 0. Anything else (toJSON,
 * other prototypes, non-finite numbers, bigints, a `__proto__` key, deep values, cycles) goes
 * through JSON itself, with its result or its error. A property test compares the two.
 */

const MAX_DEPTH = 64;

/** Thrown internally when a value needs JSON's own treatment. */
const FALLBACK: unique symbol = Symbol('fallback');

/** What JSON drops from objects (and writes as null in arrays). */
function dropped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function copy(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw FALLBACK;
      return value === 0 ? 0 : value;
    case 'object':
      break;
    default:
      throw FALLBACK;
  }
  if (depth >= MAX_DEPTH) throw FALLBACK;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) throw FALLBACK;
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = dropped(item) ? null : copy(item, depth + 1);
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) throw FALLBACK;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw FALLBACK;
    const child: unknown = (value as Record<string, unknown>)[key];
    if (dropped(child)) continue;
    out[key] = copy(child, depth + 1);
  }
  return out;
}

/** Same result (or error) as `JSON.parse(JSON.stringify(value))`; undefined where JSON gives no text. */
export function jsonCopy(value: unknown): unknown {
  try {
    return dropped(value) ? undefined : copy(value, 0);
  } catch (error) {
    if (error !== FALLBACK) throw error;
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  }
}
