/**
 * The bridge between a tool's input JSON Schema and Cedar: which Cedar type each argument
 * gets (`shapeOfJsonSchema`), how that type is written in the Cedar JSON schema
 * (`cedarTypeOf`), and how a normalized argument value becomes a Cedar value
 * (`toCedarValue`, `toCedarDecimal`). Schema generation and request building both go
 * through here, so the two can never disagree.
 */
import { AirlockError } from '../core/errors.ts';
import type { JsonValue } from '../core/canonical.ts';

export type CedarShape =
  | { kind: 'String' }
  | { kind: 'Long' }
  | { kind: 'Decimal' }
  | { kind: 'Bool' }
  | { kind: 'Set'; element: CedarShape }
  | { kind: 'Record'; attributes: Record<string, CedarAttribute> };

export interface CedarAttribute {
  shape: CedarShape;
  /** Present in every value (listed in `required` and not nullable). */
  required: boolean;
  /** The JSON Schema admits `null`; a null value is left out. */
  nullable: boolean;
}

/** A Cedar value in the JSON form cedar-wasm takes. */
export type CedarValue =
  | string
  | number
  | boolean
  | CedarValue[]
  | { __extn: { fn: 'decimal'; arg: string } }
  | { [key: string]: CedarValue };

/** Cedar JSON-schema type (the subset Airlock writes). */
export type CedarType =
  | { type: 'String' | 'Long' | 'Boolean' }
  | { type: 'Extension'; name: 'decimal' }
  | { type: 'Set'; element: CedarType }
  | { type: 'Record'; attributes: Record<string, CedarType & { required?: boolean }> }
  | { type: string };

/** Keys cedar-wasm reads as escapes in schema-less JSON values; never passed as attributes. */
const RESERVED_KEYS = new Set(['__entity', '__extn', '__expr']);

const SCALAR: Record<string, CedarShape> = {
  string: { kind: 'String' },
  integer: { kind: 'Long' },
  number: { kind: 'Decimal' },
  boolean: { kind: 'Bool' },
};

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(shape: CedarShape): boolean {
  return shape.kind !== 'Set' && shape.kind !== 'Record';
}

/**
 * Cedar shape of a JSON Schema, or null when it has no Cedar equivalent (no single `type`,
 * arrays of non-scalars, objects without `properties`, `$ref`, combinators...).
 */
export function shapeOfJsonSchema(schema: JsonValue | undefined): { shape: CedarShape; nullable: boolean } | null {
  if (!isPlainObject(schema)) return null;
  let type = schema.type;
  let nullable = false;
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    nullable = nonNull.length < type.length;
    if (nonNull.length !== 1) return null;
    type = nonNull[0];
  }
  if (typeof type !== 'string') return null;
  const scalar = SCALAR[type];
  if (scalar !== undefined) return { shape: scalar, nullable };
  if (type === 'array') {
    const element = shapeOfJsonSchema(schema.items);
    if (element === null || element.nullable || !isScalar(element.shape)) return null;
    return { shape: { kind: 'Set', element: element.shape }, nullable };
  }
  if (type === 'object') {
    const properties = schema.properties;
    if (!isPlainObject(properties)) return null;
    const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : []);
    const attributes: Record<string, CedarAttribute> = {};
    for (const name of Object.keys(properties).sort()) {
      if (RESERVED_KEYS.has(name) || !name.isWellFormed()) continue;
      const child = shapeOfJsonSchema(properties[name]);
      if (child === null) continue;
      attributes[name] = { shape: child.shape, nullable: child.nullable, required: required.has(name) && !child.nullable };
    }
    return { shape: { kind: 'Record', attributes }, nullable };
  }
  return null;
}

/** Shape of a tool's `parameters` record (empty when the input schema is not an object). */
export function parametersShape(inputSchema: JsonValue): CedarShape & { kind: 'Record' } {
  const found = shapeOfJsonSchema(inputSchema);
  if (found === null || found.shape.kind !== 'Record') return { kind: 'Record', attributes: {} };
  return found.shape;
}

export function cedarTypeOf(shape: CedarShape): CedarType {
  switch (shape.kind) {
    case 'String':
      return { type: 'String' };
    case 'Long':
      return { type: 'Long' };
    case 'Bool':
      return { type: 'Boolean' };
    case 'Decimal':
      return { type: 'Extension', name: 'decimal' };
    case 'Set':
      return { type: 'Set', element: cedarTypeOf(shape.element) };
    case 'Record': {
      const attributes: Record<string, CedarType & { required?: boolean }> = {};
      for (const [name, attr] of Object.entries(shape.attributes)) {
        attributes[name] = attr.required ? cedarTypeOf(attr.shape) : { ...cedarTypeOf(attr.shape), required: false };
      }
      return { type: 'Record', attributes };
    }
  }
}

export function unrepresentable(path: string, why: string): never {
  throw new AirlockError('ERR_POLICY_UNREPRESENTABLE', `argument ${path} cannot be represented in cedar: ${why}`, {
    status: 400,
    details: { path },
  });
}

const DECIMAL_MAX = 9223372036854775807n;
const DECIMAL_MIN = -9223372036854775808n;

/**
 * Cedar decimal literal (exactly four fractional digits) for a number, or an
 * ERR_POLICY_UNREPRESENTABLE error when the value needs more than four fractional digits
 * or lies outside decimal's range (-922337203685477.5808 .. 922337203685477.5807).
 */
export function toCedarDecimal(value: number, path = 'value'): { __extn: { fn: 'decimal'; arg: string } } {
  if (typeof value !== 'number' || !Number.isFinite(value)) unrepresentable(path, 'not a finite number');
  const text = String(value);
  // String(number) writes an exponent (lowercase `e`) for very large and very small values.
  if (text.includes('e')) unrepresentable(path, 'outside the range of a cedar decimal or finer than 4 digits');
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  if (fraction.length > 4) unrepresentable(path, 'more than 4 fractional digits');
  const digits = fraction.padEnd(4, '0');
  // Below 9e14 the scaled value is far inside the range; only larger values need the exact check.
  if (Math.abs(value) >= 9e14) {
    const scaled = (BigInt(whole) * 10000n + BigInt(digits)) * (negative ? -1n : 1n);
    if (scaled > DECIMAL_MAX || scaled < DECIMAL_MIN) unrepresentable(path, 'outside the range of a cedar decimal');
  }
  return { __extn: { fn: 'decimal', arg: `${negative ? '-' : ''}${whole}.${digits}` } };
}

/** Converts a JSON value to the Cedar value of `shape`. Mismatches are refused, never coerced. */
export function toCedarValue(shape: CedarShape, value: JsonValue, path: string): CedarValue {
  switch (shape.kind) {
    case 'String':
      if (typeof value !== 'string') unrepresentable(path, 'expected a string');
      if (!value.isWellFormed()) unrepresentable(path, 'not well-formed unicode');
      return value;
    case 'Long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) unrepresentable(path, 'expected a safe integer');
      return value;
    case 'Bool':
      if (typeof value !== 'boolean') unrepresentable(path, 'expected a boolean');
      return value;
    case 'Decimal':
      if (typeof value !== 'number') unrepresentable(path, 'expected a number');
      return toCedarDecimal(value, path);
    case 'Set':
      if (!Array.isArray(value)) unrepresentable(path, 'expected an array');
      return value.map((item, i) => toCedarValue(shape.element, item, `${path}[${i}]`));
    case 'Record': {
      if (!isPlainObject(value)) unrepresentable(path, 'expected an object');
      const out: Record<string, CedarValue> = {};
      for (const [name, attr] of Object.entries(shape.attributes)) {
        if (!Object.hasOwn(value, name)) continue;
        const child = value[name] as JsonValue;
        if (child === null && attr.nullable) continue;
        out[name] = toCedarValue(attr.shape, child, `${path}.${name}`);
      }
      return out;
    }
  }
}
