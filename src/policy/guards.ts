/**
 * Principal guards: what a policy demands of the principal before Cedar evaluates anything
 * else of it, so requests can skip policies that cannot apply to their principal.
 *
 * Cedar evaluates a policy as `principal scope && action scope && resource scope && clause
 * 1 && clause 2 ...`, left to right, stopping at the first false conjunct. A guard is the
 * principal scope plus the *leading* conjuncts of the `when` clauses that are one of:
 *
 *   principal.roles.contains("x")        principal.roles.containsAny(["x", "y"])
 *   principal.tenant == "x"              ["x", "y"].contains(principal.tenant)
 *   principal.delegated                  principal has agent
 *   principal.agent == "x"               (only after `principal has agent`)
 *
 * None of these can error (the User entity always carries `roles`, `tenant` and
 * `delegated`; `agent` is read only once known to be there), and the scopes before them
 * cannot error either, so when a guard atom is false Cedar never reaches the rest of the
 * policy: the policy can neither be satisfied nor error, and leaving it out cannot change
 * Cedar's answer. A recognised atom after anything else (another condition, an `unless`
 * clause) is not part of the guard: what comes before it could error.
 *
 * The principal scope: the User entity has no parents, so `principal in E` holds exactly
 * when `principal == E`; a scope naming another entity type can never hold.
 *
 * The leading run goes on through *value guards* (value-guards.ts): conjuncts that test
 * values of the request with operations modelled exactly, which each request evaluates to
 * true, false or "Cedar must judge". Unlike the atoms above they can error, so the order
 * matters: a guard is evaluated left to right and stops at its first conjunct that is not
 * certainly true (`outcomeOf`). Principal facts (`factsOf`) cannot see value guards; for
 * them a guard ends at its first value guard (`guardHolds`).
 */
import type { Principal } from '../core/types.ts';
import type { PolicyJson } from './cedar.ts';
import { isDelegated } from './request.ts';
import { USER_TYPE } from './schema.ts';
import { valueTestOf } from './value-guards.ts';
import type { ValueInput, ValueTest } from './value-guards.ts';

/** One fact a policy needs of the principal (every atom of a guard must hold). */
export type GuardAtom =
  | { kind: 'role'; anyOf: string[] }
  | { kind: 'tenant'; anyOf: string[] }
  | { kind: 'user'; id: string }
  | { kind: 'delegated' }
  | { kind: 'has_agent' }
  | { kind: 'agent'; anyOf: string[] }
  | { kind: 'never' }
  | { kind: 'value'; test: ValueTest };

/** A policy's guard: its principal scope and leading conjuncts that principal facts or request values decide. */
export interface PolicyGuard {
  /** The scope atom (when `scoped`), then one atom per leading conjunct, in order. */
  atoms: GuardAtom[];
  /** The principal scope is part of the guard (it constrains the principal). */
  scoped: boolean;
  /** How many leading conjuncts of the `when` clauses are guard atoms. */
  conjuncts: number;
}

/** The principal facts a set of guards can tell apart. */
export interface GuardFacts {
  roles: Set<string>;
  tenants: Set<string>;
  users: Set<string>;
  agents: Set<string>;
  delegated: boolean;
  hasAgent: boolean;
}

export function noFacts(): GuardFacts {
  return { roles: new Set(), tenants: new Set(), users: new Set(), agents: new Set(), delegated: false, hasAgent: false };
}

/** The facts of one principal that matter to a set of guards (see `factsOf`). */
export interface PrincipalFacts {
  /** The principal's roles that some guard names, sorted, without repeats. */
  roles: string[];
  /** The tenant, when some guard names it. */
  tenant: string | null;
  /** The User entity id (`<tenant>/<user>`), when some guard names it. */
  user: string | null;
  /** The agent, when some guard names it. */
  agent: string | null;
  /** `principal.delegated` and `principal has agent`, when some guard tests them (else null). */
  delegated: boolean | null;
  hasAgent: boolean | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function uidOf(value: Json | undefined): { type: string; id: string } | null {
  if (!isObject(value)) return null;
  const inner = isObject(value.__entity) ? value.__entity : value;
  return typeof inner.type === 'string' && typeof inner.id === 'string' ? { type: inner.type, id: inner.id } : null;
}

/** The atom of a principal scope, or null for `principal` (no constraint). */
function scopeAtom(scope: Json): GuardAtom | null | undefined {
  if (!isObject(scope)) return undefined;
  const equalTo = (entity: Json | undefined): GuardAtom | undefined => {
    const uid = uidOf(entity);
    if (uid === null) return undefined;
    return uid.type === USER_TYPE ? { kind: 'user', id: uid.id } : { kind: 'never' };
  };
  switch (scope.op) {
    case 'All':
      return null;
    case '==':
    case 'in':
      return equalTo(scope.entity);
    case 'is': {
      if (scope.entity_type !== USER_TYPE) return { kind: 'never' };
      return scope.in === undefined ? null : isObject(scope.in) ? equalTo(scope.in.entity) : undefined;
    }
    default:
      return undefined;
  }
}

function isPrincipalHas(expr: Json, attr: string): boolean {
  if (!isObject(expr) || Object.keys(expr).length !== 1) return false;
  const has = expr.has;
  if (!isObject(has) || !isObject(has.left) || has.left.Var !== 'principal' || Object.keys(has.left).length !== 1) return false;
  return has.attr === attr || (Array.isArray(has.attr) && has.attr.length === 1 && has.attr[0] === attr);
}

function isPrincipalAttr(expr: Json | undefined, attr: string): boolean {
  if (!isObject(expr)) return false;
  const dot = expr['.'];
  return isObject(dot) && dot.attr === attr && isObject(dot.left) && dot.left.Var === 'principal' && Object.keys(expr).length === 1;
}

function stringLiteral(expr: Json | undefined): string | null {
  return isObject(expr) && Object.keys(expr).length === 1 && typeof expr.Value === 'string' ? expr.Value : null;
}

function stringSetLiteral(expr: Json | undefined): string[] | null {
  if (!isObject(expr) || Object.keys(expr).length !== 1) return null;
  if (Array.isArray(expr.Set)) {
    const out: string[] = [];
    for (const element of expr.Set) {
      const s = stringLiteral(element);
      if (s === null) return null;
      out.push(s);
    }
    return out;
  }
  if (Array.isArray(expr.Value)) return expr.Value.every((v) => typeof v === 'string') ? (expr.Value as string[]) : null;
  return null;
}

function binary(expr: Json, op: string): { left: Json | undefined; right: Json | undefined } | null {
  if (!isObject(expr) || Object.keys(expr).length !== 1) return null;
  const body = expr[op];
  return isObject(body) ? { left: body.left, right: body.right } : null;
}

/** `principal.<attr> == "x"` (either side): the literal, or null. */
function equalsLiteral(expr: Json, attr: string): string | null {
  const eq = binary(expr, '==');
  if (eq === null) return null;
  if (isPrincipalAttr(eq.left, attr)) return stringLiteral(eq.right);
  if (isPrincipalAttr(eq.right, attr)) return stringLiteral(eq.left);
  return null;
}

/**
 * The guard atom an expression is, or null. `agentKnown`: an earlier atom of the guard
 * established that the principal has an agent (so reading it cannot error).
 */
export function atomOf(expr: Json, agentKnown = false): GuardAtom | null {
  if (isPrincipalAttr(expr, 'delegated')) return { kind: 'delegated' };
  if (isPrincipalHas(expr, 'agent')) return { kind: 'has_agent' };
  if (agentKnown) {
    const agent = equalsLiteral(expr, 'agent');
    if (agent !== null) return { kind: 'agent', anyOf: [agent] };
  }
  const contains = binary(expr, 'contains');
  if (contains !== null) {
    if (isPrincipalAttr(contains.left, 'roles')) {
      const role = stringLiteral(contains.right);
      return role === null ? null : { kind: 'role', anyOf: [role] };
    }
    if (isPrincipalAttr(contains.right, 'tenant')) {
      const tenants = stringSetLiteral(contains.left);
      return tenants === null ? null : { kind: 'tenant', anyOf: tenants };
    }
    return null;
  }
  const any = binary(expr, 'containsAny');
  if (any !== null) {
    if (!isPrincipalAttr(any.left, 'roles')) return null;
    const roles = stringSetLiteral(any.right);
    return roles === null ? null : { kind: 'role', anyOf: roles };
  }
  const tenant = equalsLiteral(expr, 'tenant');
  return tenant === null ? null : { kind: 'tenant', anyOf: [tenant] };
}

/** The top-level `&&` conjuncts of an expression, in evaluation order. */
export function conjunctsOf(expr: Json): Json[] {
  const and = binary(expr, '&&');
  return and === null || and.left === undefined || and.right === undefined ? [expr] : [...conjunctsOf(and.left), ...conjunctsOf(and.right)];
}

/** The principal guard of a policy (empty when the policy constrains nothing first). */
export function guardOf(policy: PolicyJson): PolicyGuard {
  const atoms: GuardAtom[] = [];
  const scope = scopeAtom(policy.principal as unknown as Json);
  if (scope !== null && scope !== undefined) atoms.push(scope);
  let conjuncts = 0;
  outer: for (const clause of policy.conditions) {
    if (clause.kind !== 'when') break;
    const parts = conjunctsOf(clause.body as unknown as Json);
    for (const part of parts) {
      const principalAtom = atomOf(part, atoms.some((a) => a.kind === 'has_agent'));
      const test = principalAtom === null ? valueTestOf(part) : null;
      const atom: GuardAtom | null = principalAtom ?? (test === null ? null : { kind: 'value', test });
      if (atom === null) break outer;
      atoms.push(atom);
      conjuncts++;
    }
  }
  return { atoms, scoped: scope !== null && scope !== undefined, conjuncts };
}

/** Adds the facts a guard can tell apart to `facts`. */
export function addFacts(facts: GuardFacts, guard: PolicyGuard): void {
  for (const atom of guard.atoms) {
    if (atom.kind === 'role') for (const r of atom.anyOf) facts.roles.add(r);
    else if (atom.kind === 'tenant') for (const t of atom.anyOf) facts.tenants.add(t);
    else if (atom.kind === 'user') facts.users.add(atom.id);
    else if (atom.kind === 'agent') for (const a of atom.anyOf) facts.agents.add(a);
    else if (atom.kind === 'delegated') facts.delegated = true;
    else if (atom.kind === 'has_agent') facts.hasAgent = true;
  }
}

/**
 * The facts of a principal that `facts` can tell apart. Comparing them in JavaScript is
 * exact because the engine refuses strings that are not well-formed unicode before this
 * (request.ts `checkPrincipal`): Cedar would not see such a string as JavaScript does.
 */
export function factsOf(facts: GuardFacts, principal: Principal, userId: string): PrincipalFacts {
  const roles: string[] = [];
  if (facts.roles.size > 0) {
    for (const role of principal.roles) if (facts.roles.has(role) && !roles.includes(role)) roles.push(role);
    roles.sort();
  }
  const agent = principal.agent;
  return {
    roles,
    tenant: facts.tenants.has(principal.tenant) ? principal.tenant : null,
    user: facts.users.has(userId) ? userId : null,
    agent: agent !== undefined && facts.agents.has(agent) ? agent : null,
    delegated: facts.delegated ? isDelegated(principal) : null,
    hasAgent: facts.hasAgent || facts.agents.size > 0 ? agent !== undefined : null,
  };
}

/**
 * True when the guard's principal atoms up to its first value guard hold for a principal
 * with these facts (what a request's values say is not known here).
 */
export function guardHolds(guard: PolicyGuard, facts: PrincipalFacts): boolean {
  for (const atom of guard.atoms) {
    if (atom.kind === 'value') return true;
    if (!principalAtomHolds(atom, facts)) return false;
  }
  return true;
}

/** A request's outcome for a guard: left out (-1), or how many leading conjuncts are certainly true. */
export function outcomeOf(guard: PolicyGuard, facts: PrincipalFacts, input: ValueInput): number {
  const offset = guard.scoped ? 1 : 0;
  const { atoms } = guard;
  for (let i = 0; i < atoms.length; i++) {
    const atom = atoms[i] as GuardAtom;
    if (atom.kind === 'value') {
      const truth = atom.test(input);
      if (truth === false) return -1;
      if (truth === null) return i - offset;
    } else if (!principalAtomHolds(atom, facts)) {
      return -1;
    }
  }
  return guard.conjuncts;
}

function principalAtomHolds(atom: Exclude<GuardAtom, { kind: 'value' }>, facts: PrincipalFacts): boolean {
  switch (atom.kind) {
    case 'never':
      return false;
    case 'role':
      return atom.anyOf.some((r) => facts.roles.includes(r));
    case 'tenant':
      return facts.tenant !== null && atom.anyOf.includes(facts.tenant);
    case 'user':
      return facts.user === atom.id;
    case 'delegated':
      return facts.delegated === true;
    case 'has_agent':
      return facts.hasAgent === true;
    case 'agent':
      return facts.agent !== null && atom.anyOf.includes(facts.agent);
  }
}
