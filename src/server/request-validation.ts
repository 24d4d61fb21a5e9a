/**
 * Validates request bodies against REQUEST_SCHEMAS (Ajv, draft 2020-12, strict, no coercion,
 * no defaults): a body that is not JSON, not an object or not of its route's schema is a 400
 * ERR_REQUEST_MALFORMED naming the first problem (and listing up to ten), and nothing runs.
 * So is text that is not well-formed Unicode (a lone surrogate, keys included), except on the
 * routes whose bodies the pipeline records or stores losslessly whatever their text.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { AirlockError } from '../core/errors.ts';
import { BODY_ROUTES, REQUEST_SCHEMAS, type BodyRoute, type RequestSchemaName } from './request-schemas.ts';

// strictRequired off: the credential revocation body names its one-of choices in oneOf branches whose properties are declared once, beside them.
const ajv = new Ajv2020.default({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, verbose: true });
ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
// A field whose violation has an error code of its own (e.g. an idempotency key: ERR_IDEMPOTENCY_KEY_INVALID).
ajv.addKeyword({ keyword: 'x-error-code', schemaType: 'string' });

const validators = new Map<RequestSchemaName, ValidateFunction>(
  (Object.keys(REQUEST_SCHEMAS) as RequestSchemaName[]).map((name) => [name, ajv.compile(REQUEST_SCHEMAS[name] as object)]),
);

/**
 * Routes whose ill-formed text the pipeline takes as it is: a tool call with a lone surrogate
 * is a recorded refusal (pipeline/phases/record.ts), session attributes and registered content
 * are stored losslessly. Every other body (operator actions above all) is checked, because its
 * state would change before its audit event, which cannot hold such text, is refused.
 */
const ILL_FORMED_TEXT_TAKEN: ReadonlySet<BodyRoute> = new Set<BodyRoute>([
  'POST /v1/decide',
  'POST /v1/tool-calls',
  'POST /v1/tool-calls/simulate',
  'POST /v1/sessions',
  'POST /v1/sessions/{id}/content',
  'POST /v1/context/assemble',
]);

/** Whether every string in a parsed JSON value, keys included, is well-formed (iterative: any depth). */
function wellFormedText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!next.isWellFormed()) return false;
    } else if (Array.isArray(next)) {
      for (const child of next) pending.push(child);
    } else if (next !== null && typeof next === 'object') {
      for (const [key, child] of Object.entries(next)) {
        if (!key.isWellFormed()) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

function where(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  return path === '' ? 'the body' : path;
}

/** One problem in words (the schema's x-message where it has one). */
export function describeError(error: ErrorObject): string {
  const custom = (error.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'];
  if (custom !== undefined) return custom;
  const at = where(error);
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${at === 'the body' ? '' : `${at}.`}${String(p.missingProperty)} is required`;
    case 'type':
      return `${at} must be ${String(p.type).replace(',', ' or ')}`;
    case 'maxLength':
      return `${at} must be at most ${String(p.limit)} characters`;
    case 'minLength':
      return `${at} must not be empty`;
    case 'enum':
      return `${at} must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
      return `${at} must be at least ${String(p.limit)}`;
    default:
      return `${at} ${error.message ?? 'is not valid'}`;
  }
}

function malformed(message: string, problems: string[] = [], code: `ERR_${string}` = 'ERR_REQUEST_MALFORMED'): AirlockError {
  return new AirlockError(code, message, { status: 400, ...(problems.length > 1 ? { details: { problems } } : {}) });
}

/** The body of `route`, checked against its schema. */
export function validBody(route: BodyRoute, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw malformed('the request body must be a json object');
  if (!ILL_FORMED_TEXT_TAKEN.has(route) && !wellFormedText(body)) {
    throw malformed('text in the request body must be well-formed unicode (no lone surrogates)');
  }
  const validate = validators.get(BODY_ROUTES[route]) as ValidateFunction;
  if (validate(body)) return body as Record<string, unknown>;
  const errors = validate.errors ?? [];
  // The x-message of a oneOf says it all; its branches' own errors would only repeat it.
  const primary = errors.find((e) => (e.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'] !== undefined) ?? errors.find((e) => e.keyword !== 'oneOf') ?? errors[0];
  const custom = primary !== undefined && (primary.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'] !== undefined;
  const problems = custom ? [] : [...new Set(errors.filter((e) => e.keyword !== 'oneOf').map(describeError))].slice(0, 10);
  const code = (primary?.parentSchema as { 'x-error-code'?: `ERR_${string}` } | undefined)?.['x-error-code'];
  throw malformed(primary === undefined ? 'the request body is not valid' : describeError(primary), problems, code);
}
