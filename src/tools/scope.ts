/**
 * Resource scope of a call: the target id (read from `tool.resource.argument`), and its
 * owner tenant and attributes from the registered resource resolver.
 *
 * - no resource spec → `{type: 'none', id: null, tenant: null, exists: false}`;
 * - no argument in the spec, or the argument absent / null → id null, exists false;
 * - no resolver → owner unknown: tenant null, exists false ("not known to exist");
 * - resolver answers null → exists false; answers `{tenant, attributes}` → exists true;
 * - resolver throws or answers garbage → AirlockError ERR_SCOPE_RESOLVER (502).
 * Ids are strings; an integer argument is turned into its decimal string.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import type { Principal, ResourceScope, ResourceSpec } from '../core/types.ts';
import { isJsonObject, readPath, toPlainJson } from './json.ts';
import type { ToolResolvers } from './resolvers.ts';

export interface ScopedTool {
  name: string;
  resource?: ResourceSpec;
}

function targetId(tool: ScopedTool, args: Record<string, JsonValue>, path: string): string | null {
  const value = readPath(args, path);
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new AirlockError('ERR_TOOLS_RESOURCE_ARGUMENT', `resource argument ${path} must be a string or an integer`, {
    status: 400,
    details: { tool: tool.name, argument: path },
  });
}

function resolverFault(tool: ScopedTool, name: string, message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_SCOPE_RESOLVER', message, {
    status: 502,
    ...(cause === undefined ? {} : { cause }),
    details: { tool: tool.name, resolver: name },
  });
}

export async function resolveResourceScope(
  tool: ScopedTool,
  args: Record<string, JsonValue>,
  principal: Principal,
  resolvers: Pick<ToolResolvers, 'resources'>,
): Promise<ResourceScope> {
  const spec = tool.resource;
  if (spec === undefined) return { type: 'none', id: null, tenant: null, exists: false, attributes: {} };
  const id = spec.argument === undefined ? null : targetId(tool, args, spec.argument);
  const unknown: ResourceScope = { type: spec.type, id, tenant: null, exists: false, attributes: {} };
  if (id === null || spec.resolver === undefined) return unknown;
  const name = spec.resolver;
  const resolver = Object.hasOwn(resolvers.resources, name) ? resolvers.resources[name] : undefined;
  if (resolver === undefined) {
    throw new AirlockError('ERR_TOOLS_RESOLVER_UNKNOWN', `no resource resolver named ${name}`, {
      status: 500,
      details: { tool: tool.name, resolver: name },
    });
  }
  let found: unknown;
  try {
    found = await resolver(id, principal);
  } catch (error) {
    throw resolverFault(tool, name, `resource resolver ${name} failed`, error);
  }
  if (found === null) return unknown;
  const copied = toPlainJson(found);
  if (!copied.ok || !isJsonObject(copied.value)) throw resolverFault(tool, name, `resource resolver ${name} returned an invalid value`);
  const { tenant, attributes } = copied.value;
  if (typeof tenant !== 'string' || tenant === '') throw resolverFault(tool, name, `resource resolver ${name} returned no tenant`);
  if (attributes !== undefined && !isJsonObject(attributes)) {
    throw resolverFault(tool, name, `resource resolver ${name} returned invalid attributes`);
  }
  return { type: spec.type, id, tenant, exists: true, attributes: attributes ?? {} };
}
