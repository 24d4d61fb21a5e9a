/**
 * Request-slice specialization: rewrites the policies of one request slice (their JSON
 * form) into equivalent ones that need less of the request, because cedar-wasm's cost
 * grows with every entity, record and value it is sent. Within a request slice of tool T
 * for a principal whose facts satisfy every member's guard (slices.ts, guards.ts):
 *
 * - every action scope is known to hold (that is how the slice was cut), so it becomes
 *   `action`, and the action entity (needed only for `action in <class>`) is left out
 *   unless a condition mentions `action`;
 * - every guard atom is known to hold without error, so the principal scope becomes
 *   `principal` and the leading guard conjuncts are dropped (`true && e` is `e`, also for
 *   errors) - the User entity then often needs no `roles` at all;
 * - the context is sent flat: the records every context has (`tool_call`,
 *   `tool_call.resource`, `tool_call.parameters`, `session`, `session.attributes`,
 *   `taint`, `scope`, `environment`) always exist, so `context.tool_call.parameters.limit` becomes
 *   `context["tool_call.parameters.limit"]` and `context.tool_call.parameters has limit`
 *   becomes `context has "tool_call.parameters.limit"`, one record instead of up to seven.
 *   The principal's attributes travel the same way (`principal.tenant` becomes
 *   `context["principal.tenant"]`), so the User entity is not sent at all: the principal
 *   itself stays the request's principal, and `==`, `in` and `is` on it only look at its
 *   uid (it has no parents). Cedar names a missing attribute in its error message; the
 *   engine maps a flat name back to the attribute's own name.
 *
 * Effects become `permit` (see slices.ts). Whenever a rewrite is not certain the slice
 * keeps the original text: a Long literal that JavaScript cannot hold exactly (the JSON
 * form passes through JS numbers), a container record used as a whole value, a flat name
 * used twice, or an expression the walker does not know.
 */
import type { PolicyJson } from './cedar.ts';
import { conjunctsOf, guardOf } from './guards.ts';
import { needsOf } from './projection.ts';
import type { Need, RequestNeeds } from './projection.ts';
import type { SliceMember } from './slices.ts';
import type { CompiledPolicy } from './types.ts';

/**
 * One attribute of the flat context: the value at `path` of the full context (or of the
 * principal's attributes), cut down to `need`.
 */
export interface FlatAttribute {
  key: string;
  from: 'context' | 'principal';
  path: string[];
  need: Need;
}

export interface SpecializedSlice {
  /** What Cedar is given, by policy id: the specialized JSON form, or the permit text. */
  policies: Record<string, string | PolicyJson>;
  /** What the policies as given can observe of a request. */
  needs: RequestNeeds;
  /** The flat context's attributes; null: the context is sent nested, cut down to `needs.context`. */
  flat: FlatAttribute[] | null;
  /** The principal's attributes are in the flat context (the User entity is not needed). */
  principalFlat: boolean;
  /** The action entity (with its class as parent) has to be sent. */
  action: boolean;
  /** True when the policies were rewritten (false: original text, nothing assumed). */
  specialized: boolean;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The records every context has, as a tree of attribute names. */
const CONTAINERS: Map<string, Map<string, unknown>> = new Map([
  ['tool_call', new Map([['resource', new Map()], ['parameters', new Map()]])],
  ['session', new Map([['attributes', new Map()]])],
  ['taint', new Map()],
  ['scope', new Map()],
  ['environment', new Map()],
]);

function isContainer(path: readonly string[]): boolean {
  let node: Map<string, unknown> = CONTAINERS;
  for (const attr of path) {
    const next = node.get(attr);
    if (next === undefined) return false;
    node = next as Map<string, unknown>;
  }
  return true;
}

/** Thrown inside the flattener when a rewrite is not certain. */
class NotFlat extends Error {}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when every number in the JSON form is a safe integer (so it round-trips exactly). */
export function isExactJson(value: Json): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  if (Array.isArray(value)) return value.every(isExactJson);
  if (isObject(value)) return Object.values(value).every(isExactJson);
  return true;
}

function flatKey(path: readonly string[]): string {
  return path.join('.');
}

const PRINCIPAL_PREFIX = 'principal.';

/**
 * The flat context's attributes for what the policies read of the context and of the
 * principal, or null when the context cannot be flat. The principal's attributes are
 * included when `principal` is a map (not the whole entity).
 */
export function flatAttributesOf(need: Need, principal: Need): FlatAttribute[] | null {
  if (need === true) return null;
  const out: FlatAttribute[] = [];
  if (principal !== true) {
    for (const [attr, child] of principal) out.push({ key: PRINCIPAL_PREFIX + attr, from: 'principal', path: [attr], need: child });
  }
  const walk = (node: Map<string, Need>, path: string[]): boolean => {
    for (const [attr, child] of node) {
      const at = [...path, attr];
      if (isContainer(at)) {
        if (child === true || !walk(child, at)) return false;
      } else {
        out.push({ key: flatKey(at), from: 'context', path: at, need: child });
      }
    }
    return true;
  };
  if (!walk(need, [])) return null;
  return new Set(out.map((a) => a.key)).size === out.length ? out : null;
}

/** `[...attributes]` when `expr` is an attribute chain rooted at variable `root`, else null. */
function chainOf(expr: Json | undefined, root: string): string[] | null {
  if (!isObject(expr)) return null;
  if (expr.Var === root && Object.keys(expr).length === 1) return [];
  const dot = expr['.'];
  if (Object.keys(expr).length === 1 && isObject(dot) && typeof dot.attr === 'string') {
    const left = chainOf(dot.left, root);
    return left === null ? null : [...left, dot.attr];
  }
  return null;
}

/** `principal.a.b` read from the flat context: `context["principal.a"].b`. */
function principalChain(path: string[]): Json {
  const [first, ...rest] = path;
  if (first === undefined) throw new NotFlat('the principal is used as a value');
  let expr = dot(CONTEXT, PRINCIPAL_PREFIX + first);
  for (const attr of rest) expr = dot(expr, attr);
  return expr;
}

/** `principal.<path> has a.b` read from the flat context. */
function principalHas(path: string[], attrs: string[]): Json {
  const attr = (list: string[]): Json => (list.length === 1 ? (list[0] as string) : list);
  if (path.length > 0) return { has: { left: principalChain(path), attr: attr(attrs) } };
  const [first, ...rest] = attrs;
  const key = PRINCIPAL_PREFIX + (first as string);
  const has: Json = { has: { left: CONTEXT, attr: key } };
  if (rest.length === 0) return has;
  return { '&&': { left: has, right: { has: { left: dot(CONTEXT, key), attr: attr(rest) } } } };
}

const CONTEXT: Json = { Var: 'context' };
const dot = (left: Json, attr: string): Json => ({ '.': { left, attr } });

/** `context.a.b.c` with the part up to the first non-container attribute made one flat name. */
function flatChain(path: string[]): Json {
  let cut = 0;
  while (cut < path.length && isContainer(path.slice(0, cut + 1))) cut++;
  if (cut === path.length) throw new NotFlat('a context record is used as a value');
  let expr = dot(CONTEXT, flatKey(path.slice(0, cut + 1)));
  for (const attr of path.slice(cut + 1)) expr = dot(expr, attr);
  return expr;
}

/** `<context chain> has a.b.c` rewritten for the flat context. */
function flatHas(path: string[], attrs: string[]): Json {
  if (path.some((_, i) => !isContainer(path.slice(0, i + 1)))) {
    return { has: { left: flatChain(path), attr: attrs.length === 1 ? (attrs[0] as string) : attrs } };
  }
  // Every record down to `path` exists; so do the containers among the tested attributes.
  // (Testing for a container marks it needed whole, which keeps the context nested.)
  let cut = 0;
  while (cut < attrs.length && isContainer([...path, ...attrs.slice(0, cut + 1)])) cut++;
  if (cut === attrs.length) throw new NotFlat('a context record is tested for');
  const key = flatKey([...path, ...attrs.slice(0, cut + 1)]);
  const has: Json = { has: { left: CONTEXT, attr: key } };
  const rest = attrs.slice(cut + 1);
  if (rest.length === 0) return has;
  return { '&&': { left: has, right: { has: { left: dot(CONTEXT, key), attr: rest.length === 1 ? (rest[0] as string) : rest } } } };
}

const BINARY = new Set([
  '==', '!=', 'in', '<', '<=', '>', '>=', '&&', '||', '+', '-', '*',
  'contains', 'containsAll', 'containsAny', 'getTag', 'hasTag',
]);

/**
 * An expression rewritten for the flat context (throws NotFlat when not certain);
 * `principal`: the principal's attributes are read from it too.
 */
function flatten(expr: Json | undefined, principal: boolean): Json {
  const recur = (e: Json | undefined): Json => flatten(e, principal);
  if (!isObject(expr)) throw new NotFlat('not an expression');
  const keys = Object.keys(expr);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined) throw new NotFlat('not an expression');
  const body = expr[op];
  switch (op) {
    case 'Value':
    case 'Slot':
      return expr;
    case 'Var':
      if (body === 'context') throw new NotFlat('the context is used as a value');
      return expr;
    case '.': {
      if (!isObject(body) || typeof body.attr !== 'string') throw new NotFlat('bad attribute access');
      const path = chainOf(expr, 'context');
      if (path !== null) return flatChain(path);
      const of = principal ? chainOf(expr, 'principal') : null;
      if (of !== null) return principalChain(of);
      return dot(recur(body.left), body.attr);
    }
    case 'has': {
      if (!isObject(body)) throw new NotFlat('bad has');
      const attrs = Array.isArray(body.attr) ? body.attr : [body.attr];
      if (attrs.length === 0 || !attrs.every((a): a is string => typeof a === 'string')) throw new NotFlat('bad has');
      const path = chainOf(body.left, 'context');
      if (path !== null) return flatHas(path, attrs);
      const of = principal ? chainOf(body.left, 'principal') : null;
      if (of !== null) return principalHas(of, attrs);
      return { has: { left: recur(body.left), attr: body.attr ?? null } };
    }
    case '!':
    case 'neg':
    case 'isEmpty':
      if (!isObject(body)) throw new NotFlat('bad unary');
      return { [op]: { arg: recur(body.arg) } };
    case 'like':
      if (!isObject(body)) throw new NotFlat('bad like');
      return { like: { left: recur(body.left), pattern: body.pattern ?? null } };
    case 'is': {
      if (!isObject(body)) throw new NotFlat('bad is');
      const out: { [key: string]: Json } = { left: recur(body.left), entity_type: body.entity_type ?? null };
      if (body.in !== undefined) out.in = recur(body.in);
      return { is: out };
    }
    case 'if-then-else':
      if (!isObject(body)) throw new NotFlat('bad if');
      return { 'if-then-else': { if: recur(body.if), then: recur(body.then), else: recur(body.else) } };
    case 'Set':
      if (!Array.isArray(body)) throw new NotFlat('bad set');
      return { Set: body.map(recur) };
    case 'Record': {
      if (!isObject(body)) throw new NotFlat('bad record');
      const out: { [key: string]: Json } = {};
      for (const [key, value] of Object.entries(body)) out[key] = recur(value);
      return { Record: out };
    }
    default:
      if (BINARY.has(op)) {
        if (!isObject(body)) throw new NotFlat('bad binary');
        return { [op]: { left: recur(body.left), right: recur(body.right) } };
      }
      // Extension function or method call: `{ "<name>": [args] }`.
      if (!Array.isArray(body)) throw new NotFlat('unknown expression');
      return { [op]: body.map(recur) };
  }
}

function and(parts: Json[]): Json {
  return parts.reduce((left, right) => ({ '&&': { left, right } }));
}

/**
 * A member with its action scope widened and its first `fold` conjuncts dropped (true for
 * every request this slice is for; so is its principal scope when that is a guard),
 * effect `permit`, annotations dropped.
 */
function foldedPolicy({ policy, fold }: SliceMember): PolicyJson {
  const json = policy.json;
  const guard = guardOf(json);
  let drop = Math.min(fold, guard.conjuncts);
  const conditions: PolicyJson['conditions'] = [];
  for (const clause of json.conditions) {
    if (drop === 0) {
      conditions.push(clause);
      continue;
    }
    const parts = conjunctsOf(clause.body as unknown as Json);
    const dropped = Math.min(drop, parts.length);
    drop -= dropped;
    const rest = parts.slice(dropped);
    if (rest.length > 0) conditions.push({ kind: clause.kind, body: and(rest) as unknown as typeof clause.body });
  }
  return {
    effect: 'permit',
    principal: guard.scoped ? { op: 'All' } : json.principal,
    action: { op: 'All' },
    resource: json.resource,
    conditions,
  };
}

function original(members: CompiledPolicy[]): SpecializedSlice {
  const needs = needsOf(members.map((p) => p.json));
  const policies: Record<string, string> = {};
  for (const p of members) policies[p.id] = p.permitText;
  // `action in <group>` (also in a scope) needs the action entity with its parent.
  const action = needs.action || members.some((p) => p.scope.kind === 'in');
  return { policies, needs, flat: null, principalFlat: false, action, specialized: false };
}

/**
 * What to preparse for a request slice. Every member's guard must hold, and its first
 * `fold` conjuncts be true, for the requests the slice serves (slices.ts `outcomeCode`).
 */
export function specializeSlice(sliceMembers: SliceMember[]): SpecializedSlice {
  const members = sliceMembers.map((m) => m.policy);
  if (!members.every((p) => isExactJson(p.json as unknown as Json))) return original(members);
  const jsons = sliceMembers.map(foldedPolicy);
  const needs = needsOf(jsons);
  const flat = flatAttributesOf(needs.context, needs.principal);
  const principalFlat = needs.principal !== true;
  let given = jsons;
  let flatOk = flat !== null;
  if (flatOk) {
    try {
      given = jsons.map((j) => ({
        ...j,
        conditions: j.conditions.map((c) => ({
          kind: c.kind,
          body: flatten(c.body as unknown as Json, principalFlat) as unknown as typeof c.body,
        })),
      }));
    } catch (error) {
      if (!(error instanceof NotFlat)) throw error;
      flatOk = false;
    }
  }
  const policies: Record<string, PolicyJson> = {};
  members.forEach((p, i) => (policies[p.id] = given[i] as PolicyJson));
  return {
    policies,
    needs,
    flat: flatOk ? flat : null,
    principalFlat: flatOk && principalFlat,
    action: needs.action,
    specialized: true,
  };
}
