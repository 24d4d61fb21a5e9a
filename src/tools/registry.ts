/**
 * The tool registry: the only source of tool definitions for the pipeline. Each
 * definition is checked, frozen, versioned (canonical hash of the definition) and its
 * input schema compiled once in Ajv strict mode, twice over: as written, and closed
 * against unknown properties (schema-closure.ts). A call must pass both, so closing can
 * only add the refusal of unknown properties and never lift a constraint the schema states.
 * `validate` copies, normalizes (normalize.ts) and then validates, so the value it returns
 * is exactly what gets hashed, decided on and executed.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import { deepFreeze } from '../core/freeze.ts';
import type { RegisteredTool, ToolDefinition } from '../core/types.ts';
import type { ValidateFunction } from './ajv.ts';
import { createSchemaCompiler, describeErrors } from './ajv.ts';
import { checkDefinition, definitionJson, definitionVersion } from './definition.ts';
import type { JsonIssue } from './json.ts';
import { tryNormalizeArguments } from './normalize.ts';
import type { ToolResolvers } from './resolvers.ts';
import { registerResultValidator } from './result.ts';
import { closeObjectSchemas } from './schema-closure.ts';
import { redactPointer } from './secrets.ts';

export type ValidationResult =
  | { ok: true; value: Record<string, JsonValue> }
  | { ok: false; errors: Array<{ path: string; message: string }> };

export interface ToolRegistryOptions {
  /** When given, every resolver a definition names must be registered (checked at construction). */
  resolvers?: Partial<ToolResolvers>;
}

interface Entry {
  tool: RegisteredTool;
  /** The input schema closed against unknown properties. */
  validateInput: ValidateFunction;
  /** The input schema as written (closing is not monotone under `not`, `if`, `oneOf`). */
  validateAuthored: ValidateFunction;
}

function compileError(name: string, which: string, error: unknown): AirlockError {
  const reason = error instanceof Error ? error.message : String(error);
  return new AirlockError('ERR_TOOLS_SCHEMA_INVALID', `tool ${name}: ${which} does not compile: ${reason}`, {
    status: 500,
    cause: error,
    details: { tool: name },
  });
}

function checkResolvers(tool: RegisteredTool, resolvers: Partial<ToolResolvers>): void {
  const missing = (kind: string, name: string) =>
    new AirlockError('ERR_TOOLS_RESOLVER_UNKNOWN', `tool ${tool.name}: no ${kind} resolver named ${name}`, {
      status: 500,
      details: { tool: tool.name, resolver: name },
    });
  const resource = tool.resource?.resolver;
  if (resource !== undefined && !Object.hasOwn(resolvers.resources ?? {}, resource)) throw missing('resource', resource);
  const count = tool.affectedCount !== undefined && 'resolver' in tool.affectedCount ? tool.affectedCount.resolver : undefined;
  if (count !== undefined && !Object.hasOwn(resolvers.counts ?? {}, count)) throw missing('count', count);
}

export class ToolRegistry {
  readonly #entries = new Map<string, Entry>();

  constructor(definitions: ToolDefinition[], options: ToolRegistryOptions = {}) {
    if (!Array.isArray(definitions)) {
      throw new AirlockError('ERR_TOOLS_DEFINITION_INVALID', 'tool definitions must be an array', { status: 500 });
    }
    const compiler = createSchemaCompiler();
    for (const definition of definitions) {
      const json = definitionJson(definition);
      const checked = json as unknown as ToolDefinition;
      checkDefinition(checked);
      if (this.#entries.has(checked.name)) {
        throw new AirlockError('ERR_TOOLS_DUPLICATE', `tool ${checked.name} is defined twice`, { status: 500 });
      }
      const tool = deepFreeze({ ...checked, version: definitionVersion(json) }) as RegisteredTool;
      if (options.resolvers !== undefined) checkResolvers(tool, options.resolvers);
      let validateInput: ValidateFunction;
      let validateAuthored: ValidateFunction;
      try {
        validateAuthored = compiler.compile(tool.inputSchema);
        validateInput = compiler.compile(closeObjectSchemas(tool.inputSchema));
      } catch (error) {
        throw compileError(tool.name, 'inputSchema', error);
      }
      let validateOutput: ValidateFunction | null = null;
      if (tool.outputSchema !== undefined) {
        try {
          validateOutput = compiler.compile(tool.outputSchema);
        } catch (error) {
          throw compileError(tool.name, 'outputSchema', error);
        }
      }
      registerResultValidator(tool, validateOutput);
      this.#entries.set(tool.name, { tool, validateInput, validateAuthored });
    }
  }

  get(name: string): RegisteredTool | undefined {
    return this.#entries.get(name)?.tool;
  }

  list(): RegisteredTool[] {
    return [...this.#entries.values()].map((entry) => entry.tool);
  }

  /**
   * Copies, normalizes and validates `args` against the tool's closed input schema and
   * against the input schema as written (both must pass). Never throws for any `args`;
   * throws ERR_TOOLS_NOT_REGISTERED when `tool` is not the registered definition of that
   * name (same version).
   */
  validate(tool: RegisteredTool, args: unknown): ValidationResult {
    const entry = this.#entries.get(tool?.name);
    if (entry === undefined || entry.tool.version !== tool.version) {
      throw new AirlockError('ERR_TOOLS_NOT_REGISTERED', 'that tool definition is not registered here', { status: 500 });
    }
    const normalized = tryNormalizeArguments(entry.tool, args);
    if (!normalized.ok) return { ok: false, errors: safeIssues(normalized.errors) };
    for (const check of [entry.validateInput, entry.validateAuthored]) {
      let valid: boolean;
      try {
        valid = check(normalized.value) as boolean;
      } catch {
        // A schema whose evaluation never ends (a `$ref` cycle that reads nothing of the
        // value) overflows the stack: refuse the call, never throw.
        return { ok: false, errors: [{ path: '', message: 'the input schema could not be evaluated' }] };
      }
      if (!valid) {
        const errors: JsonIssue[] = safeIssues(describeErrors(check.errors));
        return { ok: false, errors };
      }
    }
    return { ok: true, value: normalized.value };
  }
}

/**
 * Problems as the audit log may keep them (they become the decision's reasons): an argument's
 * keys are data, so a location naming a credential-looking or overlong key is redacted.
 */
function safeIssues(issues: JsonIssue[]): JsonIssue[] {
  return issues.map((issue) => ({ ...issue, path: redactPointer(issue.path) }));
}
