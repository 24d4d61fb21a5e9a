/**
 * Audit event records: validating an AuditEventInput, sealing it into an AuditEvent
 * (seq, event id, time, prev_hash, hash) and the stored record form every adapter writes,
 * and decoding a stored record back. All adapters go through here, so every store hashes
 * and stores events identically.
 *
 * The stored `body` is the canonical JSON of the event without its `hash`, i.e. exactly
 * the bytes the hash covers. Indexed columns repeat fields of the body for lookups; on
 * read they must agree with the body and the body must be canonical, otherwise the row
 * is reported corrupt (ERR_AUDIT_CORRUPT, details.seq) instead of being silently repaired.
 */
import { canonicalize, sha256Hex } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';

/** Fields the store assigns; an input carrying any of them is refused. */
export const STORE_FIELDS = ['seq', 'event_id', 'ts', 'prev_hash', 'hash'] as const;

/** Fields stored as columns beside the body (besides `hash`, which the body does not hold). */
export const INDEXED_FIELDS = [
  'seq',
  'event_id',
  'ts',
  'type',
  'request_id',
  'action_id',
  'parent_action_id',
  'session_id',
  'trace_id',
  'prev_hash',
] as const;

/** One event as stored: indexed columns, the canonical body and the hash. */
export interface StoredEventRecord {
  seq: number;
  event_id: string;
  ts: string;
  type: string;
  request_id: string;
  action_id: string | null;
  parent_action_id: string | null;
  session_id: string | null;
  trace_id: string;
  prev_hash: string;
  hash: string;
  body: string;
}

/** A validated, deep-copied input: safe to seal later even if the caller mutates its object. */
export type PreparedInput = Readonly<Record<string, JsonValue>>;

function invalid(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_AUDIT_INVALID_EVENT', message, { status: 500, cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isNullableString = (v: unknown): boolean => v === null || typeof v === 'string';
const isId = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * Validates an input and returns a canonical deep copy. Top-level `undefined` fields are
 * dropped (they are optional fields left unset); anything else JSON cannot represent
 * exactly is refused with ERR_AUDIT_INVALID_EVENT.
 */
export function prepareInput(input: AuditEventInput): PreparedInput {
  if (!isPlainObject(input)) throw invalid('audit event must be a plain object');
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) copy[key] = value;
  }
  for (const field of STORE_FIELDS) {
    if (field in copy) throw invalid(`audit event must not set ${field}; the store assigns it`);
  }
  if (!isId(copy.type)) throw invalid('audit event type must be a non-empty string');
  if (!isId(copy.request_id)) throw invalid('audit event request_id must be a non-empty string');
  if (!isId(copy.trace_id)) throw invalid('audit event trace_id must be a non-empty string');
  for (const field of ['session_id', 'action_id', 'parent_action_id'] as const) {
    if (!isNullableString(copy[field])) throw invalid(`audit event ${field} must be a string or null`);
  }
  const actor = copy.actor;
  if (
    !isPlainObject(actor) ||
    !isNullableString(actor.user) ||
    !isNullableString(actor.tenant) ||
    !isNullableString(actor.agent) ||
    !Array.isArray(actor.roles) ||
    !actor.roles.every((r) => typeof r === 'string')
  ) {
    throw invalid('audit event actor must be {user, tenant, roles, agent}');
  }
  let text: string;
  try {
    text = canonicalize(copy);
  } catch (cause) {
    throw invalid(isAirlockError(cause) ? `audit event is not canonical json: ${cause.message}` : 'audit event is not canonical json', cause);
  }
  return JSON.parse(text) as PreparedInput;
}

export interface SealMeta {
  seq: number;
  eventId: string;
  ts: string;
  prevHash: string;
}

/** Turns a prepared input into the event and its stored record, chained onto `prevHash`. */
export function sealEvent(input: PreparedInput, meta: SealMeta): { event: AuditEvent; record: StoredEventRecord } {
  const unsigned = { ...input, seq: meta.seq, event_id: meta.eventId, ts: meta.ts, prev_hash: meta.prevHash };
  const body = canonicalize(unsigned);
  const hash = `sha256:${sha256Hex(body)}`;
  const event = { ...unsigned, hash } as unknown as AuditEvent;
  const record: StoredEventRecord = {
    seq: meta.seq,
    event_id: meta.eventId,
    ts: meta.ts,
    type: event.type,
    request_id: event.request_id,
    action_id: event.action_id,
    parent_action_id: event.parent_action_id,
    session_id: event.session_id,
    trace_id: event.trace_id,
    prev_hash: meta.prevHash,
    hash,
    body,
  };
  return { event, record };
}

function corrupt(seq: unknown, message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_AUDIT_CORRUPT', message, {
    status: 500,
    cause,
    details: { seq: typeof seq === 'number' ? seq : null },
  });
}

/**
 * Decodes a stored record into the event it holds. Throws ERR_AUDIT_CORRUPT (details.seq =
 * the row's seq) when the body is not canonical JSON of an object or a column disagrees.
 */
export function decodeStoredEvent(record: StoredEventRecord): AuditEvent {
  const seq = record.seq;
  if (typeof record.body !== 'string' || typeof record.hash !== 'string') {
    throw corrupt(seq, `audit row ${String(seq)} has a non-text body or hash`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch (cause) {
    throw corrupt(seq, `audit row ${String(seq)} body is not json`, cause);
  }
  if (!isPlainObject(parsed)) throw corrupt(seq, `audit row ${String(seq)} body is not an object`);
  let canonical: string;
  try {
    canonical = canonicalize(parsed);
  } catch (cause) {
    throw corrupt(seq, `audit row ${String(seq)} body is not canonical json`, cause);
  }
  if (canonical !== record.body) throw corrupt(seq, `audit row ${String(seq)} body is not in canonical form`);
  if ('hash' in parsed) throw corrupt(seq, `audit row ${String(seq)} body carries a hash field`);
  for (const field of INDEXED_FIELDS) {
    const fromBody = parsed[field] ?? null;
    if (fromBody !== record[field]) {
      throw corrupt(seq, `audit row ${String(seq)} column ${field} disagrees with its body`);
    }
  }
  return { ...parsed, hash: record.hash } as unknown as AuditEvent;
}
