/**
 * Adapts the tool registry and the configured resolvers to the ToolCatalog the phases use.
 */
import type { ToolRegistry, ToolResolvers } from '../tools/index.ts';
import {
  computeAffectedCount,
  hashArguments,
  normalizeArguments,
  resolveResourceScope,
  summarizeArguments,
  validateResult,
} from '../tools/index.ts';
import type { ToolCatalog } from './env.ts';

export function toolCatalog(registry: ToolRegistry, resolvers: ToolResolvers): ToolCatalog {
  return {
    get: (name) => registry.get(name),
    list: () => registry.list(),
    check(tool, args) {
      const result = registry.validate(tool, args);
      return result.ok ? { ok: true, value: normalizeArguments(tool, result.value) } : result;
    },
    hash: (args) => hashArguments(args),
    summarize: (tool, args) => summarizeArguments(tool, args),
    scope: (tool, args, principal) => resolveResourceScope(tool, args, principal, resolvers),
    affectedCount: (tool, args, principal) => computeAffectedCount(tool, args, resolvers, principal),
    checkResult: (tool, result) => validateResult(tool, result),
  };
}
