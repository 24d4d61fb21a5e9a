/**
 * Adapts the tool registry and the configured resolvers to the ToolCatalog the phases use.
 */
import type { ToolRegistry, ToolResolvers } from '../tools/index.ts';
import {
  computeAffectedCount,
  hashArguments,
  resolveResourceScope,
  summarizeArguments,
  validateResult,
} from '../tools/index.ts';
import type { ToolCatalog } from './env.ts';

export function toolCatalog(registry: ToolRegistry, resolvers: ToolResolvers): ToolCatalog {
  return {
    get: (name) => registry.get(name),
    list: () => registry.list(),
    // The registry validates against the closed schema and returns the normalized value.
    check: (tool, args) => registry.validate(tool, args),
    hash: (args) => hashArguments(args),
    summarize: (tool, args) => summarizeArguments(tool, args),
    scope: (tool, args, principal) => resolveResourceScope(tool, args, principal, resolvers),
    affectedCount: (tool, args, principal) => computeAffectedCount(tool, args, resolvers, principal),
    checkResult: (tool, result) => validateResult(tool, result),
  };
}
