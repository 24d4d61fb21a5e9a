/**
 * Policy slicing: which policies one request has to evaluate.
 *
 * Per action: a request for tool T (class C) can only be matched by policies whose action
 * scope is `action`, `action == T`, or `action in [..]` naming T or C; every other policy
 * is not applicable, so leaving it out cannot change Cedar's answer. Each tool's *action
 * slice* is computed once per bundle, with the principal guard of every member (guards.ts).
 *
 * Per request: of a tool's action slice, a request evaluates only the members whose guard
 * does not certainly fail for it - principal atoms judged on the principal facts the
 * guards name (some roles, the tenant, the user id), value guards on the request's values
 * (guards.ts `outcomeOf`) - and of each member only what follows its certainly true
 * leading conjuncts. That outcome, one code per member, names the *request slice*; it is
 * keyed by (tool, outcome) and preparsed lazily (slice-cache.ts).
 *
 * Request slices are preparsed with every policy's effect set to `permit`. Whether a
 * policy is satisfied (or errors) does not depend on its effect, so one evaluation reports
 * every satisfied policy, forbids included, and the decision is then combined from the
 * real effects exactly as Cedar does (see decide.ts) - where a plain evaluation would
 * report only the forbids on a deny and need a second call to learn whether a permit
 * matched.
 */
import { AirlockError } from '../core/errors.ts';
import { preparsePolicySet } from './cedar.ts';
import type { PolicyJson } from './cedar.ts';
import { addFacts, guardHolds, guardOf, noFacts, outcomeOf } from './guards.ts';
import type { GuardFacts, PrincipalFacts, PolicyGuard } from './guards.ts';
import type { ActionScope, CompiledPolicy } from './types.ts';
import type { ValueInput } from './value-guards.ts';

export interface ActionSlice {
  tool: string;
  /** The policies that can apply to the tool, in bundle order. */
  members: CompiledPolicy[];
  /** The principal guard of each member (same order). */
  guards: PolicyGuard[];
  /** The principal facts the members' guards tell apart. */
  facts: GuardFacts;
  /** Some member has a guard (otherwise every principal evaluates every member). */
  guarded: boolean;
}

/** One policy of a request slice and how many of its leading conjuncts are certainly true. */
export interface SliceMember {
  policy: CompiledPolicy;
  fold: number;
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

/** Every tool's action slice, with the guards of its members. */
export function buildActionSlices(
  policies: CompiledPolicy[],
  tools: Array<{ name: string; sideEffect: string }>,
): Map<string, ActionSlice> {
  const guards = new Map(policies.map((p) => [p.index, guardOf(p.json)]));
  const slices = new Map<string, ActionSlice>();
  for (const tool of tools) {
    const members = sliceFor(policies, tool.name, tool.sideEffect);
    const memberGuards = members.map((p) => guards.get(p.index) as PolicyGuard);
    const facts: GuardFacts = noFacts();
    for (const guard of memberGuards) addFacts(facts, guard);
    slices.set(tool.name, {
      tool: tool.name,
      members,
      guards: memberGuards,
      facts,
      guarded: memberGuards.some((g) => g.atoms.length > 0),
    });
  }
  return slices;
}

/**
 * The members of an action slice a principal with these facts can be matched by, whatever
 * the request's values (for discovery: value guards count as possibly true).
 */
export function membersFor(slice: ActionSlice, facts: PrincipalFacts | null): CompiledPolicy[] {
  if (facts === null || !slice.guarded) return slice.members;
  return slice.members.filter((_, i) => guardHolds(slice.guards[i] as PolicyGuard, facts));
}

/** Code of a member left out of a request slice; any other code is its fold plus FOLD_BASE. */
const LEFT_OUT = 0x2d; // '-'
const FOLD_BASE = 0x30; // '0'

/**
 * The request slice of one request, as one character per member of the action slice: left
 * out, or how many of its leading conjuncts are certainly true. Equal codes mean equal
 * request slices (the same members, specialized alike).
 */
export function outcomeCode(slice: ActionSlice, facts: PrincipalFacts, input: ValueInput): string {
  let code = '';
  for (let i = 0; i < slice.guards.length; i++) {
    const outcome = outcomeOf(slice.guards[i] as PolicyGuard, facts, input);
    code += String.fromCharCode(outcome < 0 ? LEFT_OUT : FOLD_BASE + outcome);
  }
  return code;
}

/** The members of the request slice an outcome code names (null code: every member, nothing folded). */
export function membersOf(slice: ActionSlice, code: string | null): SliceMember[] {
  const out: SliceMember[] = [];
  slice.members.forEach((policy, i) => {
    if (code === null) out.push({ policy, fold: 0 });
    else if (code.charCodeAt(i) !== LEFT_OUT) out.push({ policy, fold: code.charCodeAt(i) - FOLD_BASE });
  });
  return out;
}

/** Preparses policies (text or JSON form, by id) under `id`; throws ERR_POLICY_ENGINE on failure. */
export function preparse(id: string, staticPolicies: Record<string, string | PolicyJson>): void {
  const answer = preparsePolicySet(id, { staticPolicies });
  if (answer.type === 'failure') {
    throw new AirlockError('ERR_POLICY_ENGINE', 'cedar could not preparse a policy slice', {
      status: 500,
      details: { errors: answer.errors.map((e) => e.message) },
    });
  }
}

/** Overwrites a preparsed set with an empty one, so its memory is given back. */
export function emptySet(id: string): void {
  preparsePolicySet(id, { staticPolicies: {} });
}
