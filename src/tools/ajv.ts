/**
 * The JSON Schema compiler: Ajv for draft 2020-12 in strict mode with ajv-formats.
 * No type coercion, no default injection, no removal of extra properties: what is
 * validated is exactly what is hashed and executed. Schemas with an `$id` are not added
 * to the shared instance (`addUsedSchema: false`), so two tools may reuse an `$id`.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { pointerToken } from './json.ts';
import type { JsonIssue } from './json.ts';

export type { ValidateFunction };
export type SchemaCompiler = InstanceType<typeof Ajv2020.default>;

export const MAX_SCHEMA_ERRORS = 50;

export function createSchemaCompiler(): SchemaCompiler {
  const ajv = new Ajv2020.default({
    strict: true,
    allErrors: true,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    addUsedSchema: false,
    validateFormats: true,
  });
  addFormats.default(ajv);
  return ajv;
}

function describe(error: ErrorObject): JsonIssue {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { path: `${error.instancePath}/${pointerToken(params.additionalProperty)}`, message: 'unknown property' };
  }
  if (error.keyword === 'unevaluatedProperties' && typeof params.unevaluatedProperty === 'string') {
    return { path: `${error.instancePath}/${pointerToken(params.unevaluatedProperty)}`, message: 'unknown property' };
  }
  return { path: error.instancePath, message: error.message ?? `failed ${error.keyword}` };
}

/** Ajv errors as `{path, message}` (JSON Pointer paths), deduplicated and capped. */
export function describeErrors(errors: ErrorObject[] | null | undefined): JsonIssue[] {
  const out: JsonIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    const issue = describe(error);
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
    if (out.length >= MAX_SCHEMA_ERRORS) break;
  }
  if (out.length === 0) out.push({ path: '', message: 'does not match the schema' });
  return out;
}
