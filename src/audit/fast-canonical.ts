/**
 * A faster route to the exact RFC 8785 text of src/core/canonical.ts for the audit hot path
 * (every event is canonicalized once at append and once per verification).
 *
 * It handles only the plain cases — null, booleans, finite numbers, strings without any
 * surrogate, plain objects and dense arrays, at most 64 levels deep — and hands anything
 * else to core `canonicalize`, which either produces the text or throws its typed error.
 * So its output is always byte-identical to `canonicalize` (checked by a property test);
 * it is faster only because it skips the error-path bookkeeping core keeps per value.
 */
import { canonicalize, sha256Hex } from '../core/canonical.ts';

const MAX_DEPTH = 64;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Thrown internally when a value needs core's full treatment. */
const FALLBACK: unique symbol = Symbol('fallback');

function quote(text: string): string {
  if (SURROGATE.test(text)) throw FALLBACK;
  return JSON.stringify(text);
}

function write(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      if (!Number.isFinite(value)) throw FALLBACK;
      return String(value); // Number::toString, as RFC 8785 prescribes; String(-0) is "0".
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw FALLBACK;
  }
  if (depth >= MAX_DEPTH) throw FALLBACK; // deep values and cycles: core decides
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw FALLBACK;
      if (i > 0) out += ',';
      out += write(value[i], depth + 1);
    }
    return `${out}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw FALLBACK;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const child = record[key];
    if (child === undefined) throw FALLBACK;
    if (i > 0) out += ',';
    out += `${quote(key)}:${write(child, depth + 1)}`;
  }
  return `${out}}`;
}

/** Same text as core `canonicalize` (and the same ERR_CANONICAL_UNSUPPORTED refusals). */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, 0);
  } catch (error) {
    if (error === FALLBACK) return canonicalize(value);
    throw error;
  }
}

/** Same as core `canonicalHash`. */
export function canonicalJsonHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}

/** Canonical text of a JSON string key (exported for building event bodies member by member). */
export function canonicalKey(key: string): string {
  try {
    return quote(key);
  } catch (error) {
    if (error === FALLBACK) return canonicalize(key);
    throw error;
  }
}
