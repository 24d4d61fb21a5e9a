/**
 * Default-deny for unknown properties. Before an input schema is compiled, a copy of it
 * is rewritten so that every object schema — every subschema whose `type` is or includes
 * `"object"`, at any depth, including `$defs` and applicator branches — that states
 * neither `additionalProperties` nor `unevaluatedProperties` becomes closed:
 *
 * - with `additionalProperties: false` when it has no in-place applicators;
 * - with `unevaluatedProperties: false` when it has some (`allOf`, `anyOf`, `oneOf`,
 *   `not`, `if`/`then`/`else`, `dependentSchemas`, `$ref`, `$dynamicRef`), because that
 *   keyword sees the properties those applicators evaluate, so composed schemas still work.
 *
 * `not` and `if` subschemas are left as written: they never accept a value themselves (one
 * only rejects, the other only chooses a branch), so closing them would turn "refuse a call
 * carrying `override`" into "refuse a call carrying only `override`" — a looser schema.
 * Closing is not monotone everywhere else either (a `oneOf` that must match exactly one
 * branch, a `$ref` from a `not` to a closed `$defs` entry), so the registry validates every
 * call against the schema as written *and* against this closed copy: closing can only add
 * the refusal of unknown properties, never lift a constraint.
 *
 * A schema opts out by stating either keyword itself (`additionalProperties: true`, or a
 * schema for the extra values). A `$defs` entry meant as a mixin for `allOf` should state
 * `additionalProperties: true` and let the including object schema (closed with
 * `unevaluatedProperties: false`) do the closing. Untyped schemas (`{}`, `true`) are not
 * object schemas and stay open: they accept any value on purpose. Ajv strict mode refuses
 * object keywords without `type: "object"`, so every object shape is covered by this rule.
 * The original definition (and its hash) is never modified.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { JsonSchema } from '../core/types.ts';
import { isJsonObject } from './json.ts';

// Not `not` and `if` (see the header): they are kept as written.
const SINGLE_SCHEMA = [
  'additionalProperties',
  'unevaluatedProperties',
  'propertyNames',
  'items',
  'additionalItems',
  'contains',
  'unevaluatedItems',
  'then',
  'else',
] as const;
const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'] as const;
const SCHEMA_ARRAYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'] as const;
const IN_PLACE = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas', '$ref', '$dynamicRef', '$recursiveRef'];

function isObjectTyped(node: { [key: string]: JsonValue }): boolean {
  const type = node.type;
  return type === 'object' || (Array.isArray(type) && type.includes('object'));
}

function close(schema: JsonValue): JsonValue {
  if (!isJsonObject(schema)) return schema;
  const out: { [key: string]: JsonValue } = { ...schema };
  for (const keyword of SINGLE_SCHEMA) {
    const sub = out[keyword];
    if (isJsonObject(sub)) out[keyword] = close(sub);
  }
  for (const keyword of SCHEMA_MAPS) {
    const map = out[keyword];
    if (!isJsonObject(map)) continue;
    // fromEntries defines own data properties, so a key named `__proto__` stays a key.
    out[keyword] = Object.fromEntries(Object.entries(map).map(([name, sub]) => [name, close(sub)]));
  }
  for (const keyword of SCHEMA_ARRAYS) {
    const list = out[keyword];
    if (Array.isArray(list)) out[keyword] = list.map(close);
  }
  if (isObjectTyped(out) && !Object.hasOwn(out, 'additionalProperties') && !Object.hasOwn(out, 'unevaluatedProperties')) {
    if (IN_PLACE.some((keyword) => Object.hasOwn(out, keyword))) out.unevaluatedProperties = false;
    else out.additionalProperties = false;
  }
  return out;
}

/** A closed copy of `schema` (see the header). */
export function closeObjectSchemas(schema: JsonSchema): JsonSchema {
  return close(schema) as JsonSchema;
}
