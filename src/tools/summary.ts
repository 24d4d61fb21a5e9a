/**
 * Safe argument summaries for the audit log. For each top-level argument: its type and
 * size (string length in UTF-16 units, array length, object key count). A value is shown
 * only when it is harmless and useful: booleans, numbers, and strings of at most 64
 * characters that are the tool's resource argument or one of the field's declared enum /
 * const values. Anything under a secret-sounding key, and any string matching a credential
 * pattern (secrets.ts), is shown as "[redacted]". Nested values are never shown. Keys are
 * arguments too: secret-looking keys and keys over 64 characters are replaced. Never throws.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { JsonSchema, ResourceSpec } from '../core/types.ts';
import { isJsonObject, toPlainJson } from './json.ts';
import type { SchemaNode } from './schema-walk.ts';
import { certainSchemas, propertySchemas } from './schema-walk.ts';
import { isSecretKey, looksLikeSecret } from './secrets.ts';

export const SUMMARY_MAX_STRING = 64;
export const SUMMARY_MAX_FIELDS = 64;
export const REDACTED = '[redacted]';

export interface SummarizableTool {
  inputSchema: JsonSchema;
  resource?: ResourceSpec;
}

function typeName(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function declaredValue(nodes: SchemaNode[], value: string): boolean {
  return nodes.some((node) => node.const === value || (Array.isArray(node.enum) && node.enum.includes(value)));
}

function fieldSummary(key: string, value: JsonValue, nodes: SchemaNode[], isResource: boolean): JsonValue {
  const type = typeName(value);
  if (isSecretKey(key)) return { type, value: REDACTED };
  if (typeof value === 'string') {
    const candidate = value.length <= SUMMARY_MAX_STRING && (isResource || declaredValue(nodes, value));
    if (!candidate) return { type, length: value.length };
    return looksLikeSecret(value) ? { type, value: REDACTED } : { type, length: value.length, value };
  }
  if (typeof value === 'number' || typeof value === 'boolean') return { type, value };
  if (Array.isArray(value)) return { type, length: value.length };
  if (isJsonObject(value)) return { type, keys: Object.keys(value).length };
  return { type };
}

function summaryKey(key: string, index: number): string {
  if (key.length > SUMMARY_MAX_STRING) return `[long key ${index}]`;
  if (looksLikeSecret(key)) return `[redacted key ${index}]`;
  return key;
}

export function summarizeArguments(tool: SummarizableTool, args: unknown): JsonValue {
  try {
    const copied = toPlainJson(args);
    if (!copied.ok) return { $invalid: { type: 'unreadable' } };
    if (!isJsonObject(copied.value)) return { $invalid: { type: typeName(copied.value) } };
    const root = tool.inputSchema as SchemaNode;
    const rootNodes = certainSchemas(root, root);
    const resourceArgument = tool.resource?.argument;
    const out: { [key: string]: JsonValue } = {};
    const entries = Object.entries(copied.value);
    entries.slice(0, SUMMARY_MAX_FIELDS).forEach(([key, value], index) => {
      let name = summaryKey(key, index);
      if (Object.hasOwn(out, name)) name = `${name}[${index}]`;
      const nodes = propertySchemas(root, rootNodes, key);
      out[name] = fieldSummary(key, value, nodes, key === resourceArgument);
    });
    if (entries.length > SUMMARY_MAX_FIELDS) out.$omitted = entries.length - SUMMARY_MAX_FIELDS;
    return out;
  } catch {
    return { $invalid: { type: 'unreadable' } };
  }
}
