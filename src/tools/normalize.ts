/**
 * Argument normalization, applied before validation, hashing and policy so that two
 * spellings of the same request hash and decide the same way.
 *
 * What is normalized:
 * - every string value and every object key is put in Unicode NFC (two keys of one
 *   object that become equal under NFC are refused, never merged);
 * - a string whose schema certainly has `format: "email"` gets its domain (after the last
 *   `@`) lowercased; the local part is case-sensitive (RFC 5321) and kept;
 * - a string whose schema certainly has `format: "hostname"` is lowercased whole.
 * "Certainly" = reached through properties / items / allOf / local $ref (schema-walk.ts):
 * a format under anyOf / oneOf / if-then-else is not acted on, since it may not apply.
 *
 * What is not: no trimming, no whitespace or case folding of other strings, no number
 * rewriting (besides -0 → 0, which JSON cannot tell apart), no defaults, no coercion, no
 * trailing-dot removal on hostnames. Those would change meaning.
 */
import type { JsonValue } from '../core/canonical.ts';
import { canonicalHash } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import type { JsonSchema } from '../core/types.ts';
import type { JsonIssue } from './json.ts';
import { pointerToken, toArgumentObject } from './json.ts';
import type { SchemaNode } from './schema-walk.ts';
import { certainSchemas, hasFormat, itemSchemas, propertySchemas } from './schema-walk.ts';

export interface HasInputSchema {
  inputSchema: JsonSchema;
}

export type NormalizeResult = { ok: true; value: Record<string, JsonValue> } | { ok: false; errors: JsonIssue[] };

function normalizeString(value: string, nodes: SchemaNode[]): string {
  let out = value.normalize('NFC');
  if (hasFormat(nodes, 'email')) {
    const at = out.lastIndexOf('@');
    if (at > 0 && at < out.length - 1) out = out.slice(0, at + 1) + out.slice(at + 1).toLowerCase();
  }
  if (hasFormat(nodes, 'hostname')) out = out.toLowerCase();
  return out;
}

function walk(root: SchemaNode, nodes: SchemaNode[], value: JsonValue, path: string, issues: JsonIssue[]): JsonValue {
  if (typeof value === 'string') return normalizeString(value, nodes);
  if (Array.isArray(value)) return value.map((item, i) => walk(root, itemSchemas(root, nodes, i), item, `${path}/${i}`, issues));
  if (typeof value !== 'object' || value === null) return value;
  const out: { [key: string]: JsonValue } = {};
  for (const [key, child] of Object.entries(value)) {
    const normalizedKey = key.normalize('NFC');
    const childPath = `${path}/${pointerToken(normalizedKey)}`;
    if (normalizedKey === '__proto__') {
      issues.push({ path: childPath, message: 'the key __proto__ is not allowed' });
      continue;
    }
    if (Object.hasOwn(out, normalizedKey)) {
      issues.push({ path: childPath, message: 'two keys are equal after unicode normalization' });
      continue;
    }
    out[normalizedKey] = walk(root, propertySchemas(root, nodes, normalizedKey), child, childPath, issues);
  }
  return out;
}

/** Copies (plain JSON only) and normalizes; never throws. */
export function tryNormalizeArguments(tool: HasInputSchema, args: unknown): NormalizeResult {
  const copied = toArgumentObject(args);
  if (!copied.ok) return copied;
  const root = tool.inputSchema as SchemaNode;
  const issues: JsonIssue[] = [];
  const value = walk(root, certainSchemas(root, root), copied.value, '', issues);
  if (issues.length > 0) return { ok: false, errors: issues };
  return { ok: true, value: value as Record<string, JsonValue> };
}

/**
 * Normalized copy of the arguments (see the header). Throws ERR_TOOLS_ARGUMENTS_INVALID
 * (400) for anything that is not a plain JSON object. Idempotent.
 */
export function normalizeArguments(tool: HasInputSchema, args: unknown): Record<string, JsonValue> {
  const result = tryNormalizeArguments(tool, args);
  if (!result.ok) {
    throw new AirlockError('ERR_TOOLS_ARGUMENTS_INVALID', 'arguments are not a normalizable json object', {
      status: 400,
      details: { errors: result.errors },
    });
  }
  return result.value;
}

/**
 * `sha256:<hex>` of the canonical JSON of the normalized arguments.
 * - `hashArguments(tool, args)` normalizes first (throws like normalizeArguments);
 * - `hashArguments(value)` hashes a value that is already normalized (the `value` of a
 *   successful `ToolRegistry.validate` or the result of `normalizeArguments`).
 */
export function hashArguments(value: Record<string, JsonValue>): string;
export function hashArguments(tool: HasInputSchema, args: unknown): string;
export function hashArguments(...input: [Record<string, JsonValue>] | [HasInputSchema, unknown]): string {
  if (input.length === 1) return canonicalHash(input[0]);
  return canonicalHash(normalizeArguments(input[0], input[1]));
}
