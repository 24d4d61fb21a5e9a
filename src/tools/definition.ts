/**
 * Tool definitions: structural checks at registry construction (a bad definition is a
 * configuration error, raised before any call) and the definition version — the
 * canonical hash of the definition with `undefined`-valued fields left out.
 */
import type { JsonValue } from '../core/canonical.ts';
import { canonicalHash } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import { SIDE_EFFECT_CLASSES } from '../core/types.ts';
import type { ToolDefinition } from '../core/types.ts';
import { isJsonObject, toPlainJson } from './json.ts';

const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const DOTTED_PATH = /^[^.]+(\.[^.]+)*$/;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

function invalid(name: string, message: string): never {
  throw new AirlockError('ERR_TOOLS_DEFINITION_INVALID', `tool ${name}: ${message}`, {
    status: 500,
    details: { tool: name },
  });
}

function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (typeof value !== 'object' || value === null) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, stripUndefined(v)]),
  );
}

/** The definition as plain JSON (undefined fields dropped); refuses anything JSON cannot hold. */
export function definitionJson(definition: ToolDefinition): { [key: string]: JsonValue } {
  const name = typeof definition?.name === 'string' ? definition.name : '(unnamed)';
  const copied = toPlainJson(stripUndefined(definition));
  if (!copied.ok) {
    const issue = copied.errors[0];
    invalid(name, `definition is not plain json${issue === undefined ? '' : ` at ${issue.path || '/'}: ${issue.message}`}`);
  }
  if (!isJsonObject(copied.value)) invalid(name, 'definition must be an object');
  return copied.value;
}

export function definitionVersion(json: { [key: string]: JsonValue }): string {
  return canonicalHash(json);
}

/** Structural checks of one definition; throws ERR_TOOLS_DEFINITION_INVALID. */
export function checkDefinition(def: ToolDefinition): void {
  const name = def.name;
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) invalid(String(name), 'name must match ' + TOOL_NAME.source);
  if ((SIDE_EFFECT_CLASSES as readonly string[]).includes(name)) invalid(name, 'name must not equal an action class');
  if (typeof def.description !== 'string') invalid(name, 'description must be a string');
  if (!isJsonObject(def.inputSchema as JsonValue)) invalid(name, 'inputSchema must be an object');
  if (def.inputSchema.type !== 'object') invalid(name, 'inputSchema must have type "object"');
  if (def.outputSchema !== undefined && !isJsonObject(def.outputSchema as JsonValue) && typeof def.outputSchema !== 'boolean') {
    invalid(name, 'outputSchema must be a schema');
  }
  if (!(SIDE_EFFECT_CLASSES as readonly string[]).includes(def.sideEffect)) invalid(name, 'unknown sideEffect');
  if (def.tenantBinding !== 'principal' && def.tenantBinding !== 'none') invalid(name, 'tenantBinding must be principal or none');
  if (typeof def.idempotent !== 'boolean') invalid(name, 'idempotent must be a boolean');
  if (!Number.isSafeInteger(def.timeoutMs) || def.timeoutMs <= 0) invalid(name, 'timeoutMs must be a positive integer');
  if (def.outputTrust !== undefined && def.outputTrust !== 'trusted' && def.outputTrust !== 'untrusted') {
    invalid(name, 'outputTrust must be trusted or untrusted');
  }
  checkResource(def);
  checkAffectedCount(def);
  checkConnector(def);
}

function checkResource(def: ToolDefinition): void {
  const resource = def.resource;
  if (resource === undefined) return;
  if (typeof resource.type !== 'string' || resource.type === '') invalid(def.name, 'resource.type must be a non-empty string');
  if (resource.argument !== undefined) {
    if (typeof resource.argument !== 'string' || !DOTTED_PATH.test(resource.argument)) {
      invalid(def.name, 'resource.argument must be a dotted path');
    }
    const top = resource.argument.split('.')[0] as string;
    const properties = def.inputSchema.properties;
    if (!isJsonObject(properties) || !Object.hasOwn(properties, top)) {
      invalid(def.name, `resource.argument ${resource.argument} is not a declared property`);
    }
  }
  if (resource.resolver !== undefined && (typeof resource.resolver !== 'string' || resource.resolver === '')) {
    invalid(def.name, 'resource.resolver must be a non-empty string');
  }
  if (def.tenantBinding === 'principal' && resource.argument !== undefined && resource.resolver === undefined) {
    invalid(def.name, 'a tenant-bound tool that names a target argument needs a resource resolver');
  }
}

function checkAffectedCount(def: ToolDefinition): void {
  const spec = def.affectedCount as Record<string, unknown> | undefined;
  if (spec === undefined) return;
  const keys = Object.keys(spec);
  if (keys.length !== 1) invalid(def.name, 'affectedCount must have exactly one of const, count_of, resolver');
  if ('const' in spec) {
    if (!Number.isSafeInteger(spec.const) || (spec.const as number) < 0) invalid(def.name, 'affectedCount.const must be a non-negative integer');
  } else if ('count_of' in spec) {
    if (typeof spec.count_of !== 'string' || !DOTTED_PATH.test(spec.count_of)) invalid(def.name, 'affectedCount.count_of must be a dotted path');
  } else if ('resolver' in spec) {
    if (typeof spec.resolver !== 'string' || spec.resolver === '') invalid(def.name, 'affectedCount.resolver must be a non-empty string');
  } else {
    invalid(def.name, 'affectedCount must have exactly one of const, count_of, resolver');
  }
}

function checkConnector(def: ToolDefinition): void {
  const connector = def.connector as Record<string, unknown> | undefined;
  if (!isJsonObject(connector as JsonValue)) invalid(def.name, 'connector must be an object');
  const spec = connector as Record<string, unknown>;
  if (spec.type === 'function') {
    if (typeof spec.handler !== 'string' || spec.handler === '') invalid(def.name, 'connector.handler must be a non-empty string');
    return;
  }
  if (spec.type === 'http') {
    if (typeof spec.method !== 'string' || !HTTP_METHODS.includes(spec.method)) invalid(def.name, 'connector.method is not supported');
    if (typeof spec.url !== 'string') invalid(def.name, 'connector.url must be a string');
    if (spec.headers !== undefined) {
      if (!isJsonObject(spec.headers as JsonValue)) invalid(def.name, 'connector.headers must be an object');
      for (const value of Object.values(spec.headers as Record<string, unknown>)) {
        if (typeof value !== 'string') invalid(def.name, 'connector.headers values must be strings');
      }
    }
    return;
  }
  if (spec.type === 'mcp') {
    if (typeof spec.upstream !== 'string' || spec.upstream === '') invalid(def.name, 'connector.upstream must be a non-empty string');
    if (typeof spec.tool !== 'string' || spec.tool === '') invalid(def.name, 'connector.tool must be a non-empty string');
    return;
  }
  if (spec.type === 'sandbox') {
    const command = spec.command;
    if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string')) invalid(def.name, 'connector.command must be a non-empty list of strings');
    if (!(command as string[])[0]?.startsWith('/')) invalid(def.name, 'connector.command must start with an absolute path');
    if (spec.stdin !== 'json' && spec.stdin !== 'none') invalid(def.name, 'connector.stdin must be json or none');
    if (spec.output !== 'json' && spec.output !== 'text') invalid(def.name, 'connector.output must be json or text');
    if (typeof spec.network !== 'boolean') invalid(def.name, 'connector.network must be a boolean');
    const paths = spec.readOnlyPaths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.startsWith('/') && p.replace(/\/+$/, '') !== '')) {
      invalid(def.name, 'connector.readOnlyPaths must be absolute paths other than /');
    }
    if (!isJsonObject(spec.env as JsonValue) || !Object.values(spec.env as Record<string, unknown>).every((v) => typeof v === 'string')) invalid(def.name, 'connector.env must map names to strings');
    const limits = spec.limits as Record<string, unknown> | undefined;
    for (const key of ['cpuSeconds', 'memoryBytes', 'processes', 'outputBytes', 'fileBytes', 'wallMs']) {
      const value = limits?.[key];
      if (!Number.isSafeInteger(value) || (value as number) <= 0) invalid(def.name, `connector.limits.${key} must be a positive integer`);
    }
    return;
  }
  invalid(def.name, 'connector.type must be function, http, mcp or sandbox');
}
