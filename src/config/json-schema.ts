/**
 * Compiling tool JSON Schemas the way the gateway will use them (ajv 2020-12, strict mode,
 * standard formats), so a schema that cannot compile is refused when the config loads,
 * not at the first call. Also: looking up a dotted argument path in a schema.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';

type FormatsPlugin = (ajv: Ajv2020) => Ajv2020;
// ajv-formats is CommonJS: its function is `default` under some loaders and the module itself under others.
const addFormats = ((ajvFormats as unknown as { default?: FormatsPlugin }).default ??
  (ajvFormats as unknown as FormatsPlugin)) as FormatsPlugin;

/** Compiles `schema` in strict mode; returns ajv's message when it does not compile. */
export function compileError(schema: unknown): string | null {
  // A fresh instance per schema: one tool's `$id` must not collide with another's.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  try {
    ajv.compile(schema as object);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Property names an object schema declares. */
export function schemaProperties(schema: unknown): string[] {
  return Object.keys(asRecord(asRecord(schema)?.properties) ?? {});
}

/** The sub-schema at a dotted property path (`customer.id`), or undefined when it is not declared. */
export function schemaAtPath(schema: unknown, dotted: string): Record<string, unknown> | undefined {
  let current = asRecord(schema);
  for (const part of dotted.split('.')) {
    const properties = asRecord(current?.properties);
    if (properties === undefined || !Object.hasOwn(properties, part)) return undefined;
    current = asRecord(properties[part]);
    if (current === undefined) return undefined;
  }
  return current;
}
