/**
 * Reading request bodies, and the fields of the bodies the pipeline takes. Every body is first
 * checked against its route's JSON Schema (request-schemas.ts, request-validation.ts): a body
 * that is not JSON, not an object or not of its schema is a 400 and changes nothing. The
 * functions here only pick the fields of a body that passed. Tool arguments themselves are
 * checked by the pipeline (against the tool's schema), so a malformed argument payload is a
 * recorded deny.
 */
import { AirlockError } from '../core/errors.ts';

export type Body = Record<string, unknown>;

/** A string field of a validated body; null (allowed by the schemas for optional text) reads as absent. */
export function text(body: Body, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' ? value : undefined;
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
  const fields: ReturnType<typeof toolCallFields> = { tool: body.tool as string, arguments: body.arguments };
  for (const key of ['session_id', 'intent', 'approval_token', 'idempotency_key', 'trace_id', 'parent_action_id'] as const) {
    const value = text(body, key);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** The fields of `POST /v1/sessions/{id}/content`. */
export function contentFields(body: Body): { kind: string; text: string; source_id?: string; tool?: string; classification?: string } {
  const fields: ReturnType<typeof contentFields> = { kind: body.kind as string, text: body.text as string };
  for (const key of ['source_id', 'tool', 'classification'] as const) {
    const value = text(body, key);
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

/** The fields of `POST /v1/context/assemble` (each chunk is checked by the context gateway). */
export function assembleFields(body: Body): { session_id: string; use_case: string; chunks: unknown[]; budget?: number } {
  const budget = body.budget;
  return { session_id: body.session_id as string, use_case: body.use_case as string, chunks: body.chunks as unknown[], ...(typeof budget === 'number' ? { budget } : {}) };
}

/** The fields of `POST /v1/memory` (the tenant is never read from the body). */
export function memoryFields(body: Body): { kind: string; content: unknown; owner: string; provenance: unknown; confidence: unknown; expires_at?: unknown; ttl_seconds?: unknown } {
  return {
    kind: body.kind as string,
    owner: body.owner as string,
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
  const raw = await request.text();
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new AirlockError('ERR_REQUEST_MALFORMED', 'the request body is not valid json', { status: 400 });
  }
}

/** POST /v1/admin/mcp/definitions/decide: `{items:[{name, hash, accept_findings?}], verdict, justification}`. */
export function definitionDecisionFields(body: Body): {
  items: Array<{ name: string; hash: string; accept_findings?: boolean }>;
  verdict: 'approve' | 'reject';
  justification: string;
} {
  const items = (body.items as Body[]).map((item) => ({
    name: item.name as string,
    hash: item.hash as string,
    ...(typeof item.accept_findings === 'boolean' ? { accept_findings: item.accept_findings } : {}),
  }));
  return { items, verdict: body.verdict as 'approve' | 'reject', justification: text(body, 'justification') ?? '' };
}

/** The fields of `POST /v1/outputs/classify`. */
export function outputFields(body: Body): { text: string; session_id?: string; proposed_action?: { tool: string } } {
  const session = text(body, 'session_id');
  const proposed = body.proposed_action as Body | null | undefined;
  return {
    text: body.text as string,
    ...(session === undefined ? {} : { session_id: session }),
    ...(proposed === undefined || proposed === null ? {} : { proposed_action: { tool: proposed.tool as string } }),
  };
}
