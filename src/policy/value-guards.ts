/**
 * Value guards: leading conjuncts of a policy that test values of the request (context
 * attributes, the principal's attributes) with operations whose Cedar meaning is small and
 * exact, so each request can work out, before Cedar is asked, whether such a conjunct is
 * true, false, or something only Cedar should judge:
 *
 *   literals (Long, String, Bool, sets of them)   `.attr` and `has attr` on context/principal
 *   == !=  < <= > >=  + -  ! && ||                 like   contains containsAll containsAny isEmpty
 *   decimal("…") with lessThan/lessThanOrEqual/greaterThan/greaterThanOrEqual
 *
 * A conjunct made only of these compiles to a test that answers `true`, `false` or `null`.
 * `null` means "let Cedar judge": Cedar would raise an error here (a missing attribute, a
 * type mismatch, an overflow) or the test cannot be certain (a value it does not model, a
 * string that is not well-formed). Only a certain answer is ever used: a policy is left out
 * of a request slice when one of its leading guard conjuncts is certainly false (and every
 * earlier one certainly true - Cedar stops at the first false conjunct, so it could neither
 * be satisfied nor error), and a certainly true leading conjunct is dropped from the
 * specialized policy (`true && e` is `e`, errors included). Everything after the first
 * `null` stays in the policy for Cedar to evaluate.
 *
 * The values are the ones the engine sends Cedar (request.ts builds them): a JavaScript
 * number is a Long (always a safe integer), a decimal is `{__extn: decimal}`, strings are
 * well-formed, sets are arrays. The differential tests (slicing.test.ts) check every
 * operation against Cedar itself.
 */
import type { Principal } from '../core/types.ts';
import { userAttribute } from './request.ts';
import type { CedarValue } from './shapes.ts';

/** What a value guard reads: the full context of the request and its principal. */
export interface ValueInput {
  context: Record<string, CedarValue>;
  principal: Principal;
}

/** A compiled value guard: true, false, or null (Cedar must judge: it may error). */
export type ValueTest = (input: ValueInput) => boolean | null;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** "Cedar must judge" inside an evaluation. */
const STOP: unique symbol = Symbol('stop');
type Stop = typeof STOP;

/** A decimal as Cedar holds it: the value times 10,000, within i64. */
class Decimal {
  readonly scaled: bigint;
  constructor(scaled: bigint) {
    this.scaled = scaled;
  }
}

type Value = number | string | boolean | Value[] | Decimal | Record<string, unknown> | Stop;
type Eval = (input: ValueInput) => Value;

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

/** Cedar's decimal syntax: digits, a point, one to four digits; null when Cedar would refuse it. */
export function parseDecimal(text: string): bigint | null {
  const match = /^(-?)([0-9]+)\.([0-9]{1,4})$/.exec(text);
  if (match === null) return null;
  const [, sign, whole, fraction] = match as unknown as [string, string, string, string];
  const magnitude = BigInt(whole) * 10000n + BigInt(fraction.padEnd(4, '0'));
  const scaled = sign === '-' ? -magnitude : magnitude;
  return scaled > I64_MAX || scaled < I64_MIN ? null : scaled;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A record of the context (not a set, not an extension value). */
function isRecord(value: unknown): value is Record<string, CedarValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Decimal) return false;
  return (value as { __extn?: unknown }).__extn === undefined;
}

function isScalar(value: unknown): value is number | string | boolean {
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean';
}

/** A set whose elements are all scalars (the only sets compared here). */
function scalarSet(value: Value): Array<number | string | boolean> | null {
  if (!Array.isArray(value)) return null;
  for (const element of value) if (!isScalar(element)) return null;
  return value as Array<number | string | boolean>;
}

function decimalOf(value: Value): Decimal | null {
  if (value instanceof Decimal) return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('__extn' in value)) return null;
  const extn = (value as { __extn: { fn?: unknown; arg?: unknown } }).__extn;
  if (extn?.fn !== 'decimal' || typeof extn.arg !== 'string') return null;
  const scaled = parseDecimal(extn.arg);
  return scaled === null ? null : new Decimal(scaled);
}

/** A literal value, or null when it is not one this module models exactly. */
function literal(value: Json | undefined): Value | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const out: Value[] = [];
    for (const element of value) {
      const v = literal(element);
      if (v === null || !isScalar(v)) return null;
      out.push(v);
    }
    return out;
  }
  return null;
}

/** A `like` pattern as code points, `null` standing for the wildcard. */
function patternOf(pattern: Json | undefined): Array<string | null> | null {
  if (!Array.isArray(pattern)) return null;
  const out: Array<string | null> = [];
  for (const element of pattern) {
    if (element === 'Wildcard') out.push(null);
    else if (isObject(element) && typeof element.Literal === 'string' && Object.keys(element).length === 1) {
      if (!element.Literal.isWellFormed()) return null;
      for (const ch of element.Literal) out.push(ch);
    } else return null;
  }
  return out;
}

/** Cedar `like`: the wildcard matches any run of characters (Unicode scalar values). */
function matches(text: string, pattern: ReadonlyArray<string | null>): boolean {
  const chars = Array.from(text);
  let t = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (t < chars.length) {
    if (p < pattern.length && pattern[p] !== null && pattern[p] === chars[t]) {
      t++;
      p++;
    } else if (p < pattern.length && pattern[p] === null) {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === null) p++;
  return p === pattern.length;
}

/** The single attribute name of a `has` (multi-step `has a.b` is left to Cedar). */
function hasAttr(attr: Json | undefined): string | null {
  if (typeof attr === 'string') return attr;
  return Array.isArray(attr) && attr.length === 1 && typeof attr[0] === 'string' ? attr[0] : null;
}

function variable(expr: Json | undefined): 'context' | 'principal' | null {
  if (!isObject(expr) || Object.keys(expr).length !== 1) return null;
  return expr.Var === 'context' || expr.Var === 'principal' ? expr.Var : null;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
};

const DECIMAL_COMPARE: Record<string, (a: bigint, b: bigint) => boolean> = {
  lessThan: (a, b) => a < b,
  lessThanOrEqual: (a, b) => a <= b,
  greaterThan: (a, b) => a > b,
  greaterThanOrEqual: (a, b) => a >= b,
};

function binary(body: Json | undefined): [Eval, Eval] | null {
  if (!isObject(body)) return null;
  const left = compile(body.left);
  const right = compile(body.right);
  return left === null || right === null ? null : [left, right];
}

function unary(body: Json | undefined): Eval | null {
  return isObject(body) ? compile(body.arg) : null;
}

/** `[...attributes]` when `expr` is an attribute chain rooted at the context, else null. */
function contextChain(expr: Json | undefined): string[] | null {
  if (variable(expr) === 'context') return [];
  if (!isObject(expr) || Object.keys(expr).length !== 1) return null;
  const dot = expr['.'];
  if (!isObject(dot) || typeof dot.attr !== 'string') return null;
  const left = contextChain(dot.left);
  return left === null ? null : [...left, dot.attr];
}

/** Reads `context.<path>`: each step must be a record that has the attribute (else Cedar errors). */
function contextReader(path: readonly string[]): Eval {
  return ({ context }) => {
    let value: unknown = context;
    for (const attr of path) {
      if (!isRecord(value) || !Object.hasOwn(value, attr)) return STOP;
      value = value[attr];
    }
    return value as Value;
  };
}

/** Attribute access `<left>.attr`: on the context or principal variable, or on a record value. */
function attribute(body: Json | undefined): Eval | null {
  if (!isObject(body) || typeof body.attr !== 'string') return null;
  const attr = body.attr;
  const root = variable(body.left);
  if (root === 'principal') {
    return ({ principal }) => {
      const value = userAttribute(principal, attr);
      return value === undefined ? STOP : (value as Value);
    };
  }
  const chain = contextChain(body.left);
  if (chain !== null) return contextReader([...chain, attr]);
  const left = compile(body.left);
  if (left === null) return null;
  return (input) => {
    const record = left(input);
    if (!isRecord(record) || !Object.hasOwn(record, attr)) return STOP;
    return record[attr] as Value;
  };
}

function has(body: Json | undefined): Eval | null {
  if (!isObject(body)) return null;
  const attr = hasAttr(body.attr);
  if (attr === null) return null;
  const root = variable(body.left);
  if (root === 'principal') return ({ principal }) => userAttribute(principal, attr) !== undefined;
  const chain = contextChain(body.left);
  const left = chain !== null ? contextReader(chain) : compile(body.left);
  if (left === null) return null;
  return (input) => {
    const record = left(input);
    return isRecord(record) ? Object.hasOwn(record, attr) : STOP;
  };
}

function compileBinary(op: string, body: Json | undefined): Eval | null {
  const parts = binary(body);
  if (parts === null) return null;
  const [left, right] = parts;
  switch (op) {
    case '==':
    case '!=': {
      const equal = op === '==';
      return (input) => {
        const a = left(input);
        if (a === STOP) return STOP;
        const b = right(input);
        if (b === STOP || !isScalar(a) || !isScalar(b)) return STOP;
        return (a === b) === equal;
      };
    }
    case '&&':
    case '||': {
      const shortCircuit = op === '||';
      return (input) => {
        const a = left(input);
        if (typeof a !== 'boolean') return STOP;
        if (a === shortCircuit) return a;
        const b = right(input);
        return typeof b === 'boolean' ? b : STOP;
      };
    }
    case '+':
    case '-': {
      const sign = op === '+' ? 1 : -1;
      return (input) => {
        const a = left(input);
        if (typeof a !== 'number') return STOP;
        const b = right(input);
        if (typeof b !== 'number') return STOP;
        const sum = a + sign * b;
        // Both are safe integers: a result that is one is exact; anything else is Cedar's to judge.
        return Number.isSafeInteger(sum) ? sum : STOP;
      };
    }
    case 'contains':
      return (input) => {
        const set = scalarSet(left(input));
        const b = right(input);
        if (set === null || !isScalar(b)) return STOP;
        return set.includes(b);
      };
    case 'containsAll':
    case 'containsAny': {
      const all = op === 'containsAll';
      return (input) => {
        const a = scalarSet(left(input));
        const b = scalarSet(right(input));
        if (a === null || b === null) return STOP;
        return all ? b.every((x) => a.includes(x)) : b.some((x) => a.includes(x));
      };
    }
    default: {
      const compare = COMPARE[op];
      if (compare === undefined) return null;
      return (input) => {
        const a = left(input);
        if (typeof a !== 'number') return STOP;
        const b = right(input);
        return typeof b === 'number' ? compare(a, b) : STOP;
      };
    }
  }
}

/** `decimal("…")` with a literal Cedar accepts, or a decimal comparison method. */
function compileCall(op: string, body: Json | undefined): Eval | null {
  if (!Array.isArray(body)) return null;
  if (op === 'decimal') {
    const [arg] = body;
    if (body.length !== 1 || !isObject(arg) || typeof arg.Value !== 'string' || Object.keys(arg).length !== 1) return null;
    const scaled = parseDecimal(arg.Value);
    if (scaled === null) return null;
    const value = new Decimal(scaled);
    return () => value;
  }
  const compare = DECIMAL_COMPARE[op];
  if (compare === undefined || body.length !== 2) return null;
  const left = compile(body[0]);
  const right = compile(body[1]);
  if (left === null || right === null) return null;
  return (input) => {
    const a = decimalOf(left(input));
    if (a === null) return STOP;
    const b = decimalOf(right(input));
    return b === null ? STOP : compare(a.scaled, b.scaled);
  };
}

/** Compiles an expression of the modelled subset, or null when it uses anything else. */
function compile(expr: Json | undefined): Eval | null {
  if (!isObject(expr)) return null;
  const keys = Object.keys(expr);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined) return null;
  const body = expr[op];
  switch (op) {
    case 'Value': {
      const value = literal(body);
      return value === null ? null : () => value;
    }
    case 'Set': {
      if (!Array.isArray(body)) return null;
      const elements = body.map(compile);
      if (elements.some((e) => e === null)) return null;
      return (input) => {
        const out: Value[] = [];
        for (const element of elements as Eval[]) {
          const value = element(input);
          if (value === STOP) return STOP;
          out.push(value);
        }
        return out;
      };
    }
    case '.':
      return attribute(body);
    case 'has':
      return has(body);
    case '!': {
      const arg = unary(body);
      if (arg === null) return null;
      return (input) => {
        const value = arg(input);
        return typeof value === 'boolean' ? !value : STOP;
      };
    }
    case 'isEmpty': {
      const arg = unary(body);
      if (arg === null) return null;
      return (input) => {
        const value = arg(input);
        return Array.isArray(value) ? value.length === 0 : STOP;
      };
    }
    case 'like': {
      if (!isObject(body)) return null;
      const left = compile(body.left);
      const pattern = patternOf(body.pattern);
      if (left === null || pattern === null) return null;
      return (input) => {
        const value = left(input);
        return typeof value === 'string' && value.isWellFormed() ? matches(value, pattern) : STOP;
      };
    }
    default:
      return Array.isArray(body) ? compileCall(op, body) : compileBinary(op, body);
  }
}

/**
 * The test of a conjunct that reads the request and uses only the modelled subset, or null
 * (a conjunct that reads nothing of the request is left to Cedar: it is not a guard).
 */
export function valueTestOf(expr: Json): ValueTest | null {
  if (!reads(expr)) return null;
  const evaluate = compile(expr);
  if (evaluate === null) return null;
  return (input) => {
    const value = evaluate(input);
    return typeof value === 'boolean' ? value : null;
  };
}

/** True when the expression mentions the context or the principal. */
function reads(expr: Json | undefined): boolean {
  if (Array.isArray(expr)) return expr.some(reads);
  if (!isObject(expr)) return false;
  if (expr.Var === 'context' || expr.Var === 'principal') return true;
  return Object.values(expr).some(reads);
}
