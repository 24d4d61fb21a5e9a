/**
 * AgentDojo's tool parameter schemas (pydantic output) rewritten into the equivalent JSON
 * Schema a deployer would register: `anyOf: [X, {type: null}]` becomes `type: [X, "null"]`
 * (same instances accepted; Airlock types it for Cedar as an optional X), and local
 * `$ref`s into `$defs` are inlined. Nothing is tightened or loosened.
 */
import type { JsonValue } from '../../src/core/canonical.ts';
import type { JsonObject } from './dataset.ts';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nullableBranch(anyOf: JsonValue[]): JsonObject | null {
  if (anyOf.length !== 2) return null;
  const nulls = anyOf.filter((s) => isObject(s) && s.type === 'null' && Object.keys(s).length === 1);
  const other = anyOf.find((s) => !(isObject(s) && s.type === 'null' && Object.keys(s).length === 1));
  if (nulls.length !== 1 || !isObject(other) || typeof other.type !== 'string') return null;
  return other;
}

function rewrite(node: JsonValue, defs: JsonObject): JsonValue {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, defs));
  if (!isObject(node)) return node;
  let out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$defs') continue;
    out[key] = rewrite(value, defs);
  }
  const ref = out.$ref;
  if (typeof ref === 'string') {
    const name = ref.startsWith('#/$defs/') ? ref.slice('#/$defs/'.length) : null;
    const target = name === null ? undefined : defs[name];
    if (!isObject(target)) throw new Error(`unsupported $ref ${ref}`);
    const { $ref: _ref, ...rest } = out;
    out = { ...(rewrite(target, defs) as JsonObject), ...rest };
  }
  const anyOf = out.anyOf;
  if (Array.isArray(anyOf)) {
    const branch = nullableBranch(anyOf);
    if (branch !== null) {
      const { anyOf: _anyOf, ...rest } = out;
      out = { ...branch, ...rest, type: [branch.type as string, 'null'] };
    }
  }
  return out;
}

/** The input schema Airlock registers for one AgentDojo tool. */
export function toInputSchema(parameters: JsonObject): JsonObject {
  const defs = isObject(parameters.$defs) ? parameters.$defs : {};
  const schema = rewrite(parameters, defs) as JsonObject;
  const { title: _title, ...rest } = schema;
  return { ...rest, type: 'object', properties: isObject(rest.properties) ? rest.properties : {} };
}
