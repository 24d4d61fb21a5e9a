/**
 * Per-action policy slicing. A request for tool T (class C) can only be matched by
 * policies whose action scope is `action`, `action == T`, or `action in [..]` naming T or
 * C; every other policy is not applicable, so leaving it out cannot change Cedar's answer.
 *
 * Each tool's slice is preparsed once per bundle with every policy's effect set to
 * `permit`. Whether a policy is satisfied (or errors) does not depend on its effect, so one
 * evaluation reports every satisfied policy, forbids included, and the decision is then
 * combined from the real effects exactly as Cedar does (see decide.ts) - where a plain
 * evaluation would report only the forbids on a deny and need a second call to learn
 * whether a permit matched. Identical slices share one preparsed set. Each slice also
 * records what of the request its policies can observe (projection.ts).
 *
 * cedar-wasm keeps preparsed sets in a per-thread cache with no way to drop one;
 * re-preparsing an id replaces it. So an engine owns two pools of ids and alternates
 * between them on reload, overwriting the retired pool with empty sets.
 */
import { AirlockError } from '../core/errors.ts';
import { preparsePolicySet } from './cedar.ts';
import { needsOf } from './projection.ts';
import type { RequestNeeds } from './projection.ts';
import type { ActionScope, CompiledPolicy } from './types.ts';

export interface ToolSlice {
  /** Preparsed set id (all effects turned into `permit`). */
  setId: string;
  /** What the slice's policies can observe of a request. */
  needs: RequestNeeds;
  /** Number of policies in the slice. */
  size: number;
}

export interface SliceSet {
  byTool: Map<string, ToolSlice>;
  /** Every preparsed set id this generation filled (emptied when it is retired). */
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
  for (const p of policies) staticPolicies[p.id] = p.permitText;
  const answer = preparsePolicySet(id, { staticPolicies });
  if (answer.type === 'failure') {
    throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not preparse a policy slice', {
      status: 500,
      details: { errors: answer.errors.map((e) => e.message) },
    });
  }
}

/**
 * Builds and preparses every tool's slice under ids `<pool>:<n>`. On failure the sets
 * already filled are emptied and the error is rethrown.
 */
export function buildSlices(
  pool: string,
  policies: CompiledPolicy[],
  tools: Array<{ name: string; sideEffect: string }>,
): SliceSet {
  const byKey = new Map<string, ToolSlice>();
  const set: SliceSet = { byTool: new Map(), ids: [] };
  try {
    for (const tool of tools) {
      const members = sliceFor(policies, tool.name, tool.sideEffect);
      const key = members.map((p) => p.index).join(',');
      let slice = byKey.get(key);
      if (slice === undefined) {
        const setId = `${pool}:${set.ids.length}`;
        set.ids.push(setId);
        preparse(setId, members);
        slice = { setId, needs: needsOf(members.map((p) => p.json)), size: members.length };
        byKey.set(key, slice);
      }
      set.byTool.set(tool.name, slice);
    }
  } catch (error) {
    releaseSlices(set);
    throw error;
  }
  return set;
}

/** Overwrites a generation's preparsed sets with empty ones so their memory is given back. */
export function releaseSlices(set: SliceSet): void {
  for (const id of set.ids) preparsePolicySet(id, { staticPolicies: {} });
  set.ids = [];
  set.byTool.clear();
}
