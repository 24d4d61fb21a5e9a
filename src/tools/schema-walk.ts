/**
 * Reading JSON Schemas alongside a value: which subschemas certainly apply at a location.
 * "Certainly" means reached through `properties`, `patternProperties`,
 * `additionalProperties`, `prefixItems`, `items`, `allOf` and local `$ref`s — never
 * through `anyOf` / `oneOf` / `if` / `then` / `else` / `not`, whose application depends
 * on the value. Normalization and summaries use this so they only act on what the schema
 * guarantees about a field.
 */
import type { JsonValue } from '../core/canonical.ts';
import { isJsonObject } from './json.ts';

export type SchemaNode = { [key: string]: JsonValue };

function decodePointerToken(token: string): string {
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    // keep the raw token
  }
  return decoded.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Resolves `#` and `#/json/pointer` references inside `root`; anything else is unresolved. */
export function resolveLocalRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let current: JsonValue | undefined = root;
  for (const token of ref.slice(2).split('/')) {
    const key = decodePointerToken(token);
    if (Array.isArray(current)) {
      current = /^(0|[1-9][0-9]*)$/.test(key) ? current[Number(key)] : undefined;
    } else if (isJsonObject(current) && Object.hasOwn(current, key)) {
      current = current[key];
    } else {
      return undefined;
    }
  }
  return isJsonObject(current) ? current : undefined;
}

/** `node` plus every schema it certainly applies in place (allOf, local $ref), transitively. */
export function certainSchemas(root: SchemaNode, node: JsonValue | undefined): SchemaNode[] {
  const out: SchemaNode[] = [];
  const seen = new Set<SchemaNode>();
  const visit = (candidate: JsonValue | undefined): void => {
    if (!isJsonObject(candidate) || seen.has(candidate)) return;
    seen.add(candidate);
    out.push(candidate);
    const ref = candidate.$ref;
    if (typeof ref === 'string') visit(resolveLocalRef(root, ref));
    const allOf = candidate.allOf;
    if (Array.isArray(allOf)) for (const branch of allOf) visit(branch);
  };
  visit(node);
  return out;
}

function patternMatches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key);
  } catch {
    return false;
  }
}

/** Schemas that certainly apply to property `key` of an object described by `nodes`. */
export function propertySchemas(root: SchemaNode, nodes: SchemaNode[], key: string): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const node of nodes) {
    let matched = false;
    const properties = node.properties;
    if (isJsonObject(properties) && Object.hasOwn(properties, key)) {
      matched = true;
      out.push(...certainSchemas(root, properties[key]));
    }
    const patterns = node.patternProperties;
    if (isJsonObject(patterns)) {
      for (const [pattern, schema] of Object.entries(patterns)) {
        if (patternMatches(pattern, key)) {
          matched = true;
          out.push(...certainSchemas(root, schema));
        }
      }
    }
    if (!matched) out.push(...certainSchemas(root, node.additionalProperties));
  }
  return out;
}

/** Schemas that certainly apply to element `index` of an array described by `nodes`. */
export function itemSchemas(root: SchemaNode, nodes: SchemaNode[], index: number): SchemaNode[] {
  const out: SchemaNode[] = [];
  for (const node of nodes) {
    const prefix = node.prefixItems;
    if (Array.isArray(prefix) && index < prefix.length) out.push(...certainSchemas(root, prefix[index]));
    else out.push(...certainSchemas(root, node.items));
  }
  return out;
}

/** Whether any of `nodes` declares `format: <format>`. */
export function hasFormat(nodes: SchemaNode[], format: string): boolean {
  return nodes.some((node) => node.format === format);
}
