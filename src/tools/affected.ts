/**
 * Affected-resource count of a call (records, recipients, items), for policy and
 * simulate. `const` → the number; `count_of` a dotted path → array length, 1 for any other
 * present value, 0 when absent or null; `resolver` → the registered count resolver, whose
 * answer must be a non-negative integer. No spec → 1.
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import type { AffectedCountSpec, Principal } from '../core/types.ts';
import { readPath } from './json.ts';
import type { ToolResolvers } from './resolvers.ts';

export interface CountableTool {
  name: string;
  affectedCount?: AffectedCountSpec;
}

function resolverFailed(tool: CountableTool, name: string, cause: unknown, message: string): AirlockError {
  return new AirlockError('ERR_SCOPE_RESOLVER', message, { status: 502, cause, details: { tool: tool.name, resolver: name } });
}

/**
 * Counts the resources a call affects. `principal` is handed to count resolvers; it is
 * required because a resolver must never count on behalf of an unknown caller.
 */
export async function computeAffectedCount(
  tool: CountableTool,
  args: Record<string, JsonValue>,
  resolvers: Pick<ToolResolvers, 'counts'>,
  principal: Principal,
): Promise<number> {
  const spec = tool.affectedCount;
  if (spec === undefined) return 1;
  if ('const' in spec) return spec.const;
  if ('count_of' in spec) {
    const value = readPath(args, spec.count_of);
    if (value === undefined || value === null) return 0;
    return Array.isArray(value) ? value.length : 1;
  }
  const name = spec.resolver;
  const resolver = Object.hasOwn(resolvers.counts, name) ? resolvers.counts[name] : undefined;
  if (resolver === undefined) {
    throw new AirlockError('ERR_TOOLS_RESOLVER_UNKNOWN', `no count resolver named ${name}`, {
      status: 500,
      details: { tool: tool.name, resolver: name },
    });
  }
  let count: unknown;
  try {
    count = await resolver(args, principal);
  } catch (error) {
    throw resolverFailed(tool, name, error, `count resolver ${name} failed`);
  }
  if (!Number.isSafeInteger(count) || (count as number) < 0) {
    throw resolverFailed(tool, name, undefined, `count resolver ${name} returned an invalid count`);
  }
  return count as number;
}
