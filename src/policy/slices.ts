/**
 * Per-action policy slicing. A request for tool T (class C) can only be matched by
 * policies whose action scope is `action`, `action == T`, or `action in [..]` naming T or
 * C; every other policy is not applicable, so leaving it out cannot change Cedar's answer.
 * Each tool gets two preparsed sets: `full` (its slice) and `permits` (the slice's permits
 * only, used to learn whether a permit matched when forbids decided). Identical slices are
 * shared. Sets live in cedar-wasm's thread-local cache under ids unique to one generation.
 */
import { AirlockError } from '../core/errors.ts';
import { preparsePolicySet } from './cedar.ts';
import type { ActionScope, CompiledPolicy } from './types.ts';

export interface ToolSlices {
  /** Preparsed set id of every applicable policy. */
  full: string;
  /** Preparsed set id of the applicable permits only. */
  permits: string;
}

export interface SliceSet {
  byTool: Map<string, ToolSlices>;
  /** Every preparsed set id this generation owns (released on swap). */
  ids: string[];
}

/** True when a policy with this action scope can apply to tool `tool` of class `cls`. */
export function scopeCanMatch(scope: ActionScope, tool: string, cls: string): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'eq':
      return scope.id === tool;
    case 'in':
      return scope.ids.some((id) => id === tool || id === cls);
  }
}

/** The policies of `policies` that can apply to a tool, in bundle order. */
export function sliceFor(policies: CompiledPolicy[], tool: string, cls: string): CompiledPolicy[] {
  return policies.filter((p) => scopeCanMatch(p.scope, tool, cls));
}

function preparse(id: string, policies: CompiledPolicy[]): void {
  const staticPolicies: Record<string, string> = {};
  for (const p of policies) staticPolicies[p.id] = p.text;
  const answer = preparsePolicySet(id, { staticPolicies });
  if (answer.type === 'failure') {
    throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not preparse a policy slice', {
      status: 500,
      details: { errors: answer.errors.map((e) => e.message) },
    });
  }
}

/**
 * Builds and preparses the slices of every tool under ids `<prefix>:<n>`. On failure the
 * sets already preparsed are released and the error is rethrown.
 */
export function buildSlices(
  prefix: string,
  policies: CompiledPolicy[],
  tools: Array<{ name: string; sideEffect: string }>,
): SliceSet {
  const byKey = new Map<string, string>();
  const set: SliceSet = { byTool: new Map(), ids: [] };
  const idFor = (members: CompiledPolicy[]): string => {
    const key = members.map((p) => p.index).join(',');
    let id = byKey.get(key);
    if (id === undefined) {
      id = `${prefix}:${set.ids.length}`;
      preparse(id, members);
      set.ids.push(id);
      byKey.set(key, id);
    }
    return id;
  };
  try {
    for (const tool of tools) {
      const full = sliceFor(policies, tool.name, tool.sideEffect);
      set.byTool.set(tool.name, {
        full: idFor(full),
        permits: idFor(full.filter((p) => p.effect === 'permit')),
      });
    }
  } catch (error) {
    releaseSlices(set);
    throw error;
  }
  return set;
}

/** Replaces a generation's preparsed sets with empty ones so their memory is given back. */
export function releaseSlices(set: SliceSet): void {
  for (const id of set.ids) preparsePolicySet(id, { staticPolicies: {} });
  set.ids = [];
  set.byTool.clear();
}
