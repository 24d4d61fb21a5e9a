/**
 * Upstream MCP tool definitions as Airlock pins them: the parts a model or a client sees
 * (name, title, description, input and output schema, annotations) copied as plain JSON,
 * and their definition hash — SHA-256 over the RFC 8785 canonical form. Any change to any
 * of those parts, however small (one character of a description, a reordered enum), is a
 * new hash; key order and JSON spelling are not.
 */
import type { JsonValue } from '../core/canonical.ts';
import { canonicalHash } from '../core/canonical.ts';
import { mcpError } from './errors.ts';

/** The pinned part of an upstream tool definition (MCP `Tool` minus transport metadata). */
export interface PinnedDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema: { [key: string]: JsonValue };
  outputSchema?: { [key: string]: JsonValue };
  /** Upstream annotations (`readOnlyHint`, `destructiveHint`, ...): untrusted hints. */
  annotations?: { [key: string]: JsonValue };
}

/** Largest definition accepted from an upstream (canonical JSON, characters). */
export const MAX_DEFINITION_CHARS = 256 * 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON copy of `value`, or null when it holds anything JSON cannot (cycles, functions, NaN, ...). */
function plainJson(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > 64) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const item of value) {
      const copied = plainJson(item, depth + 1);
      if (copied === undefined) return undefined;
      out.push(copied);
    }
    return out;
  }
  if (isRecord(value)) {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const out: { [key: string]: JsonValue } = {};
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const copied = plainJson(child, depth + 1);
      if (copied === undefined) return undefined;
      Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return undefined;
}

/**
 * The pinned definition of one tool from an upstream's `tools/list`. Throws
 * ERR_MCP_DEFINITION_INVALID when the entry is not a usable tool (no name, an input schema
 * that is not an object schema, a part that is not plain JSON, or a definition too large).
 */
export function pinnedDefinition(tool: unknown): PinnedDefinition {
  if (!isRecord(tool) || typeof tool.name !== 'string' || tool.name === '') {
    throw mcpError('ERR_MCP_DEFINITION_INVALID', { reason: 'no name' });
  }
  const name = tool.name;
  const bad = (reason: string) => mcpError('ERR_MCP_DEFINITION_INVALID', { tool: name, reason });
  const out: PinnedDefinition = { name, inputSchema: {} };
  for (const key of ['title', 'description'] as const) {
    const value = tool[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw bad(`${key} is not a string`);
    out[key] = value;
  }
  const input = plainJson(tool.inputSchema);
  if (!isRecord(input) || input.type !== 'object') throw bad('inputSchema is not an object schema');
  out.inputSchema = input as { [key: string]: JsonValue };
  for (const key of ['outputSchema', 'annotations'] as const) {
    if (tool[key] === undefined) continue;
    const value = plainJson(tool[key]);
    if (!isRecord(value)) throw bad(`${key} is not an object`);
    out[key] = value as { [key: string]: JsonValue };
  }
  if (JSON.stringify(out).length > MAX_DEFINITION_CHARS) throw bad('definition too large');
  return out;
}

/** `sha256:<hex>` over the canonical JSON of the pinned definition. */
export function definitionHash(definition: PinnedDefinition): string {
  return canonicalHash(definition);
}

/** The first 12 hex digits of a hash, for tables and messages. */
export function shortHash(hash: string): string {
  return hash.replace(/^sha256:/, '').slice(0, 12);
}
