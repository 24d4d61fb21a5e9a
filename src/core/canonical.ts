/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256 hashing over it.
 * Used for argument hashes, action hashes, policy bundle versions and the audit chain, so
 * it must be deterministic and must refuse values JSON cannot represent exactly.
 *
 * Written here rather than taken from a package because the hash is security-critical
 * and every refusal must be a typed error (NaN, Infinity, undefined, functions, cycles,
 * lone surrogates and non-plain objects are refused, never silently dropped).
 */
import { hash } from 'node:crypto';
import { AirlockError } from './errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fail(reason: string, path: string): never {
  throw new AirlockError('ERR_CANONICAL_UNSUPPORTED', `cannot canonicalize ${reason} at ${path}`, {
    status: 400,
    details: { path },
  });
}

function serializeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) fail('a string with a lone surrogate', path);
  return JSON.stringify(value);
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) fail('a non-finite number', path);
      // ECMAScript Number serialization is exactly what RFC 8785 prescribes; -0 becomes 0.
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'string':
      return serializeString(value, path);
    case 'object':
      break;
    default:
      fail(`a value of type ${typeof value}`, path);
  }
  const obj = value as object;
  if (seen.has(obj)) fail('a cycle', path);
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      const parts: string[] = [];
      for (let i = 0; i < obj.length; i++) {
        if (!(i in obj)) fail('a sparse array', `${path}[${i}]`);
        parts.push(write(obj[i], `${path}[${i}]`, seen));
      }
      return `[${parts.join(',')}]`;
    }
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) fail('a non-plain object', path);
    const record = obj as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const child = record[key];
      if (child === undefined) fail('an undefined value', `${path}.${key}`);
      parts.push(`${serializeString(key, path)}:${write(child, `${path}.${key}`, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}

/**
 * The plain cases on a shorter route — null, booleans, finite numbers, well-formed strings (no
 * lone surrogate), plain objects and dense arrays, at most 64 levels deep — skipping the per-value
 * bookkeeping `write` keeps for its errors (path, cycle set). Anything else throws FAST_FALLBACK
 * and goes through `write`, which gives the text or the typed refusal. Its text is `write`'s
 * (property tests in canonical.test.ts and src/audit/fast-canonical.test.ts).
 */
const FAST_MAX_DEPTH = 64;
const FAST_FALLBACK: unique symbol = Symbol('fallback');

function fastString(text: string): string {
  // isWellFormed: no per-character scan for text V8 stores one byte per character (no
  // surrogate can be there); JSON.stringify writes a well-formed pair as it is, as `write` does.
  if (!text.isWellFormed()) throw FAST_FALLBACK;
  return JSON.stringify(text);
}

/**
 * Canonical text of object keys seen before: events and arguments repeat the same few dozen
 * keys, so each is quoted once. Bounded (short keys only, cleared when full), and only
 * well-formed keys get in, so a hit gives exactly what `fastString` would.
 */
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 2048;
const KEY_CACHE_KEY_CHARS = 64;

function fastKey(key: string): string {
  const cached = KEY_CACHE.get(key);
  if (cached !== undefined) return cached;
  const text = fastString(key);
  if (key.length <= KEY_CACHE_KEY_CHARS) {
    if (KEY_CACHE.size >= KEY_CACHE_MAX) KEY_CACHE.clear();
    KEY_CACHE.set(key, text);
  }
  return text;
}

/** Up to this many keys are put in order by insertion (no allocation); longer lists by `sort`. */
const INSERTION_SORT_MAX = 32;

/**
 * Sorts object keys in place, in RFC 8785 order (UTF-16 code units: what `<` compares, and
 * what `sort()` without a comparator does) and returns them. The objects canonicalized on the
 * hot path have a few keys each: an insertion sort puts them in order without the work arrays
 * `Array.prototype.sort` allocates (some 14 kB per `/v1/decide` call, measured).
 */
export function sortKeys(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function fastWrite(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return fastString(value);
    case 'number':
      if (!Number.isFinite(value)) throw FAST_FALLBACK;
      return String(value); // Number::toString, as RFC 8785 prescribes; String(-0) is "0".
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw FAST_FALLBACK;
  }
  if (depth >= FAST_MAX_DEPTH) throw FAST_FALLBACK; // deep values and cycles: `write` decides
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw FAST_FALLBACK;
      if (i > 0) out += ',';
      out += fastWrite(value[i], depth + 1);
    }
    return `${out}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw FAST_FALLBACK;
  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const child = record[key];
    if (child === undefined) throw FAST_FALLBACK;
    if (i > 0) out += ',';
    out += `${fastKey(key)}:${fastWrite(child, depth + 1)}`;
  }
  return `${out}}`;
}

/** RFC 8785 canonical form of a JSON value. Throws ERR_CANONICAL_UNSUPPORTED on anything else. */
export function canonicalize(value: unknown): string {
  try {
    return fastWrite(value, 0);
  } catch (error) {
    if (error !== FAST_FALLBACK) throw error;
  }
  return write(value, '$', new Set());
}

/** `canonicalize` with every value through the full checks (the reference the fast route is tested against). */
export function canonicalizeWithChecks(value: unknown): string {
  return write(value, '$', new Set());
}

/** Canonical text of one string (an object key, say), refusing a lone surrogate like `canonicalize`. */
export function canonicalString(text: string): string {
  try {
    return fastString(text);
  } catch (error) {
    if (error !== FAST_FALLBACK) throw error;
  }
  return serializeString(text, '$');
}

/** SHA-256 of the data (a string as UTF-8) in hex: one call, no Hash object (crypto.hash). */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** `sha256:<hex>` of the canonical form. */
export function canonicalHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalize(value))}`;
}
