/**
 * Shapes of the HTTP request bodies of the v1 API, checked before anything reaches the
 * pipeline. A body that is not JSON, not an object, or has fields of the wrong type is a
 * 400 and changes nothing. Tool arguments themselves are checked by the pipeline
 * (against the tool's schema), so a malformed argument payload is a recorded deny.
 */
import { AirlockError } from '../core/errors.ts';

const MAX_TOOL_NAME = 200;
const MAX_TEXT = 4000;
const MAX_IDEMPOTENCY_KEY = 255;
/** C0 and C1 control characters and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export type Body = Record<string, unknown>;

export function requireObject(value: unknown): Body {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'the request body must be a json object', { status: 400 });
  }
  return value as Body;
}

export function optionalString(body: Body, key: string, max = MAX_TEXT): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', `${key} must be a string of at most ${max} characters`, { status: 400 });
  }
  return value;
}

/** The fields shared by decide, tool-calls and simulate. */
export function toolCallFields(body: Body): {
  tool: string;
  arguments: unknown;
  session_id?: string;
  intent?: string;
  approval_token?: string;
  idempotency_key?: string;
  trace_id?: string;
  parent_action_id?: string;
} {
  const tool = optionalString(body, 'tool', MAX_TOOL_NAME);
  if (tool === undefined || tool === '') {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'tool is required', { status: 400 });
  }
  if (!('arguments' in body)) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'arguments is required (use {} for none)', { status: 400 });
  }
  const fields: ReturnType<typeof toolCallFields> = { tool, arguments: body.arguments };
  for (const key of ['session_id', 'intent', 'approval_token', 'idempotency_key', 'trace_id', 'parent_action_id'] as const) {
    const value = optionalString(body, key);
    if (value !== undefined) fields[key] = value;
  }
  // An idempotency key is bounded and printable (the pipeline checks it again for other doors).
  const key = fields.idempotency_key;
  if (key !== undefined && (key === '' || key.length > MAX_IDEMPOTENCY_KEY || CONTROL.test(key))) {
    throw new AirlockError('ERR_IDEMPOTENCY_KEY_INVALID', 'an idempotency key is 1 to 255 characters with no control characters', { status: 400 });
  }
  return fields;
}

/** The fields of `POST /v1/sessions/{id}/content`. */
export function contentFields(body: Body, kinds: readonly string[], maxText: number): { kind: string; text: string; source_id?: string; tool?: string; classification?: string } {
  const kind = optionalString(body, 'kind', 40);
  if (kind === undefined || !kinds.includes(kind)) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', `kind must be one of ${kinds.join(', ')}`, { status: 400 });
  }
  const text = optionalString(body, 'text', maxText);
  if (text === undefined) throw new AirlockError('ERR_REQUEST_MALFORMED', 'text is required', { status: 400 });
  const fields: ReturnType<typeof contentFields> = { kind, text };
  for (const key of ['source_id', 'tool', 'classification'] as const) {
    const value = optionalString(body, key, 200);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** The fields of `POST /v1/context/assemble` (each chunk is checked by the context gateway). */
export function assembleFields(body: Body): { session_id: string; use_case: string; chunks: unknown[]; budget?: number } {
  const sessionId = optionalString(body, 'session_id', 200);
  const useCase = optionalString(body, 'use_case', 200);
  if (sessionId === undefined || useCase === undefined || useCase === '') {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'session_id and use_case are required', { status: 400 });
  }
  if (!Array.isArray(body.chunks)) throw new AirlockError('ERR_REQUEST_MALFORMED', 'chunks must be an array', { status: 400 });
  const budget = body.budget;
  if (budget !== undefined && budget !== null && (typeof budget !== 'number' || !Number.isSafeInteger(budget) || budget < 0)) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'budget must be a non-negative integer', { status: 400 });
  }
  return { session_id: sessionId, use_case: useCase, chunks: body.chunks, ...(typeof budget === 'number' ? { budget } : {}) };
}

/** The fields of `POST /v1/memory` (the tenant is never read from the body). */
export function memoryFields(body: Body): { kind: string; content: unknown; owner: string; provenance: unknown; confidence: unknown; expires_at?: unknown; ttl_seconds?: unknown } {
  const kind = optionalString(body, 'kind', 64);
  const owner = optionalString(body, 'owner', 200);
  if (kind === undefined || owner === undefined) throw new AirlockError('ERR_REQUEST_MALFORMED', 'kind and owner are required', { status: 400 });
  if (!('content' in body)) throw new AirlockError('ERR_REQUEST_MALFORMED', 'content is required', { status: 400 });
  return {
    kind,
    owner,
    content: body.content,
    provenance: body.provenance,
    confidence: body.confidence,
    ...(body.expires_at === undefined ? {} : { expires_at: body.expires_at }),
    ...(body.ttl_seconds === undefined ? {} : { ttl_seconds: body.ttl_seconds }),
  };
}

export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'content-type must be application/json', { status: 415 });
  }
  const text = await request.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'the request body is not valid json', { status: 400 });
  }
}

const MAX_OUTPUT_CHARS = 200_000;

/** The fields of `POST /v1/outputs/classify`. */
export function outputFields(body: Body): { text: string; session_id?: string; proposed_action?: { tool: string } } {
  const text = optionalString(body, 'text', MAX_OUTPUT_CHARS);
  if (text === undefined) throw new AirlockError('ERR_REQUEST_MALFORMED', 'text is required', { status: 400 });
  const fields: ReturnType<typeof outputFields> = { text };
  const session = optionalString(body, 'session_id', 200);
  if (session !== undefined) fields.session_id = session;
  const proposed = body.proposed_action;
  if (proposed !== undefined && proposed !== null) {
    const tool = requireObject(proposed).tool;
    if (typeof tool !== 'string' || tool === '' || tool.length > MAX_TOOL_NAME) {
      throw new AirlockError('ERR_REQUEST_MALFORMED', 'proposed_action.tool must be a tool name', { status: 400 });
    }
    fields.proposed_action = { tool };
  }
  return fields;
}
