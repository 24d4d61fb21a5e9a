/**
 * Upstream input schemas, made checkable by Airlock's validator (ajv, JSON Schema 2020-12,
 * strict mode). The upstream's schema is what gets pinned, hashed and shown to clients; a
 * copy adapted here is what arguments are validated against:
 *
 * - `$schema` is dropped (upstreams often declare draft-07; the keywords used by tool
 *   schemas mean the same in 2020-12);
 * - draft-07 tuple `items: [...]` becomes `prefixItems`, and its `additionalItems` becomes `items`;
 * - `id` (draft-04) is dropped, `definitions` is kept (a plain JSON Pointer target);
 * - keywords no JSON Schema vocabulary defines (e.g. `enumNames`, `x-*`) are dropped:
 *   validation cannot enforce what it does not know, and the upstream still checks its own.
 *
 * A schema that still does not compile is refused: the tool is not exposed.
 */
import type { JsonValue } from '../core/canonical.ts';

type Schema = { [key: string]: JsonValue };

const KNOWN = new Set([
  // core and applicators
  '$id', '$ref', '$anchor', '$dynamicRef', '$dynamicAnchor', '$defs', '$comment', 'definitions',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'dependentSchemas',
  'prefixItems', 'items', 'contains', 'properties', 'patternProperties', 'additionalProperties', 'propertyNames',
  'unevaluatedItems', 'unevaluatedProperties',
  // validation
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains',
  'maxProperties', 'minProperties', 'required', 'dependentRequired',
  // format, content, meta-data
  'format', 'contentEncoding', 'contentMediaType', 'contentSchema',
  'title', 'description', 'default', 'deprecated', 'readOnly', 'writeOnly', 'examples',
]);

const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_ONE = new Set([
  'not', 'if', 'then', 'else', 'items', 'contains', 'additionalProperties', 'propertyNames',
  'unevaluatedItems', 'unevaluatedProperties', 'contentSchema',
]);

function isSchemaObject(value: JsonValue | undefined): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function adapt(node: JsonValue): JsonValue {
  if (!isSchemaObject(node)) return node;
  const out: Schema = {};
  const tuple = Array.isArray(node.items);
  for (const [key, value] of Object.entries(node)) {
    if (key === 'items' && tuple) {
      out.prefixItems = (value as JsonValue[]).map(adapt);
      continue;
    }
    if (key === 'additionalItems') {
      if (tuple) out.items = adapt(value);
      continue;
    }
    if (!KNOWN.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isSchemaObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, adapt(sub)]));
    } else if (SCHEMA_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map(adapt);
    } else if (SCHEMA_ONE.has(key)) {
      out[key] = adapt(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The validation copy of an upstream input schema (see the header); the input is not modified. */
export function adaptInputSchema(schema: Schema): Schema {
  return adapt(structuredClone(schema)) as Schema;
}
