/**
 * Result checking: a connector's result must be plain JSON and, when the tool declares an
 * `outputSchema`, match it (ERR_TOOLS_RESULT_SCHEMA, 502). Output schemas are compiled as
 * written — not closed like input schemas — since upstream APIs add fields; declare
 * `additionalProperties: false` to refuse them. Validators are compiled once per tool
 * object (the registry precompiles them for the tools it hands out).
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import type { JsonSchema } from '../core/types.ts';
import type { SchemaCompiler, ValidateFunction } from './ajv.ts';
import { createSchemaCompiler, describeErrors } from './ajv.ts';
import type { JsonIssue } from './json.ts';
import { toPlainJson } from './json.ts';
import { redactPointer } from './secrets.ts';

export interface HasOutputSchema {
  name: string;
  outputSchema?: JsonSchema;
}

const validators = new WeakMap<object, ValidateFunction | null>();
let fallbackCompiler: SchemaCompiler | undefined;

/** Registers the compiled output validator of a tool object (used by the registry). */
export function registerResultValidator(tool: object, validator: ValidateFunction | null): void {
  validators.set(tool, validator);
}

function validatorFor(tool: HasOutputSchema): ValidateFunction | null {
  const known = validators.get(tool);
  if (known !== undefined) return known;
  let compiled: ValidateFunction | null = null;
  if (tool.outputSchema !== undefined) {
    fallbackCompiler ??= createSchemaCompiler();
    compiled = fallbackCompiler.compile(tool.outputSchema);
  }
  validators.set(tool, compiled);
  return compiled;
}

function refuse(tool: HasOutputSchema, errors: JsonIssue[]): never {
  throw new AirlockError('ERR_TOOLS_RESULT_SCHEMA', `result of ${tool.name} does not match its output schema`, {
    status: 502,
    details: { tool: tool.name, errors: errors.map((e) => ({ ...e, path: redactPointer(e.path) })) },
  });
}

/** Returns a plain-JSON copy of the result, or throws ERR_TOOLS_RESULT_SCHEMA. */
export function validateResult(tool: HasOutputSchema, result: unknown): JsonValue {
  const copied = toPlainJson(result);
  if (!copied.ok) refuse(tool, copied.errors);
  const validator = validatorFor(tool);
  if (validator !== null && !validator(copied.value)) refuse(tool, describeErrors(validator.errors));
  return copied.value;
}
