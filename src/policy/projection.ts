/**
 * Request projection: which parts of `context`, of the principal's and of the resource's
 * attributes a set of policies can observe, and whether they use the `action` variable in
 * a condition, so a request carries only those to Cedar (cedar-wasm's cost grows with every
 * value and entity it parses). The analysis walks the policies' JSON form: an attribute
 * path read with `.` or tested with `has` is needed; a record or entity used as a whole
 * value (compared, put in a set, returned from `if`) is needed entirely; anything the
 * walker does not recognise makes everything needed. Values a policy never reads cannot
 * change its result, so projecting is invisible to Cedar's answer.
 */
import type { PolicyJson } from './cedar.ts';
import type { CedarValue } from './shapes.ts';

/** `true`: the whole value is needed; a map: only these attributes (recursively). */
export type Need = true | Map<string, Need>;

export interface RequestNeeds {
  context: Need;
  principal: Need;
  resource: Need;
  /** A condition mentions `action` (so its entity, with its class as parent, must be sent). */
  action: boolean;
}

/** Attribute variables a policy can read. */
type AttributeVariable = 'context' | 'principal' | 'resource';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const ENTITY_VARS = new Set(['principal', 'action', 'resource']);
const BINARY = new Set([
  '<', '<=', '>', '>=', '&&', '||', '+', '-', '*', 'contains', 'containsAll', 'containsAny', 'getTag', 'hasTag',
]);

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Collector {
  readonly needs: RequestNeeds = { context: new Map(), principal: new Map(), resource: new Map(), action: false };

  mark(variable: string, path: string[]): void {
    if (variable === 'action') {
      this.needs.action = true;
      return;
    }
    if (variable !== 'context' && variable !== 'principal' && variable !== 'resource') return;
    let node = this.needs[variable as AttributeVariable];
    if (node === true) return;
    if (path.length === 0) {
      this.needs[variable] = true;
      return;
    }
    for (let i = 0; i < path.length; i++) {
      const key = path[i] as string;
      const last = i === path.length - 1;
      const child: Need | undefined = node.get(key);
      if (child === true) return;
      if (last) {
        node.set(key, true);
        return;
      }
      const next: Map<string, Need> = child ?? new Map();
      node.set(key, next);
      node = next;
    }
  }

  /** `[variable, ...attributes]` when `expr` is an attribute path rooted at a variable. */
  pathOf(expr: Json | undefined): string[] | null {
    if (!isObject(expr)) return null;
    if (typeof expr.Var === 'string') return [expr.Var];
    const dot = expr['.'];
    if (isObject(dot) && typeof dot.attr === 'string') {
      const left = this.pathOf(dot.left);
      return left === null ? null : [...left, dot.attr];
    }
    return null;
  }

  markPath(path: string[]): void {
    const [variable, ...attrs] = path;
    if (variable !== undefined) this.mark(variable, attrs);
  }

  /** Visits an operand that may be a bare entity variable compared by identity only. */
  visitOperand(expr: Json | undefined): void {
    if (isObject(expr) && typeof expr.Var === 'string' && ENTITY_VARS.has(expr.Var)) {
      // `action in ...` needs the action's parent; `principal`/`resource` only their uid.
      if (expr.Var === 'action') this.needs.action = true;
      return;
    }
    this.visit(expr);
  }

  visit(expr: Json | undefined): void {
    if (!isObject(expr)) return this.unknown();
    const keys = Object.keys(expr);
    const op = keys[0];
    const body = op === undefined ? undefined : expr[op];
    if (keys.length !== 1 || op === undefined) return this.unknown();
    const path = this.pathOf(expr);
    if (path !== null) return this.markPath(path);
    switch (op) {
      case 'Value':
      case 'Slot':
        return;
      case '.':
        return isObject(body) ? this.visit(body.left) : this.unknown();
      case 'has': {
        if (!isObject(body)) return this.unknown();
        const left = this.pathOf(body.left);
        const attrs = Array.isArray(body.attr) ? body.attr : [body.attr];
        if (left === null || !attrs.every((a) => typeof a === 'string')) return this.visit(body.left);
        return this.markPath([...left, ...(attrs as string[])]);
      }
      case '!':
      case 'neg':
      case 'isEmpty':
        return isObject(body) ? this.visit(body.arg) : this.unknown();
      case '==':
      case '!=':
      case 'in':
        if (!isObject(body)) return this.unknown();
        this.visitOperand(body.left);
        return this.visitOperand(body.right);
      case 'is':
        if (!isObject(body)) return this.unknown();
        this.visitOperand(body.left);
        if (body.in !== undefined) this.visitOperand(body.in);
        return;
      case 'like':
        return isObject(body) ? this.visit(body.left) : this.unknown();
      case 'if-then-else':
        if (!isObject(body)) return this.unknown();
        this.visit(body.if);
        this.visit(body.then);
        return this.visit(body.else);
      case 'Set':
        return Array.isArray(body) ? body.forEach((e) => this.visit(e)) : this.unknown();
      case 'Record':
        return isObject(body) ? Object.values(body).forEach((e) => this.visit(e)) : this.unknown();
      default:
        if (BINARY.has(op)) {
          if (!isObject(body)) return this.unknown();
          this.visit(body.left);
          return this.visit(body.right);
        }
        // Extension function or method call: `{ "<name>": [args] }`.
        return Array.isArray(body) ? body.forEach((e) => this.visit(e)) : this.unknown();
    }
  }

  unknown(): void {
    this.needs.context = true;
    this.needs.principal = true;
    this.needs.resource = true;
    this.needs.action = true;
  }
}

/** What the given policies can observe of a request. */
export function needsOf(policies: PolicyJson[]): RequestNeeds {
  const collector = new Collector();
  for (const policy of policies) {
    for (const clause of policy.conditions) collector.visit(clause.body as unknown as Json);
  }
  return collector.needs;
}

/** The part of `value` that `need` asks for (records are cut down; everything else is kept). */
export function project(value: Record<string, CedarValue>, need: Need): Record<string, CedarValue> {
  if (need === true) return value;
  const out: Record<string, CedarValue> = {};
  for (const [key, child] of need) {
    if (!Object.hasOwn(value, key)) continue;
    const v = value[key] as CedarValue;
    out[key] = child === true || !isRecord(v) ? v : project(v, child);
  }
  return out;
}

function isRecord(value: CedarValue): value is Record<string, CedarValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('__extn' in value);
}
