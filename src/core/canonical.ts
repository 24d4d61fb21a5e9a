/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme) and SHA-256 hashing over it.
 * Used for argument hashes, action hashes, policy bundle versions and the audit chain, so
 * it must be deterministic and must refuse values JSON cannot represent exactly.
 *
 * Written here rather than taken from a package because the hash is security-critical
 * and every refusal must be a typed error (NaN, Infinity, undefined, functions, cycles,
 * lone surrogates and non-plain objects are refused, never silently dropped).
 */
import { createHash } from 'node:crypto';
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

/** RFC 8785 canonical form of a JSON value. Throws ERR_CANONICAL_UNSUPPORTED on anything else. */
export function canonicalize(value: unknown): string {
  return write(value, '$', new Set());
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256:<hex>` of the canonical form. */
export function canonicalHash(value: unknown): string {
  return `sha256:${sha256Hex(canonicalize(value))}`;
}
