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
import { sha256Hex, sortKeys } from '../core/canonical.ts';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import { canonicalJson, canonicalKey } from './fast-canonical.ts';

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

/**
 * An input ready to be sealed: validated, canonicalized once, and split around the places
 * where the store's fields (event_id, prev_hash, seq, ts) go in canonical key order, so
 * sealing is string concatenation plus one SHA-256. What gets hashed and stored is fixed
 * here, at append time. `fields` is a shallow copy of the input (unset fields dropped) for
 * the event handed back to the caller: nested values are shared with the caller's input.
 */
export interface PreparedInput {
  readonly fields: Readonly<Record<string, unknown>>;
  readonly wire: WireEvent;
}

/** What a writer needs to seal and store one event (plain strings: cheap to post to a worker). */
export interface WireEvent {
  /** Canonical members before event_id, between event_id and prev_hash, …, after ts. */
  segments: [string, string, string, string, string];
  type: string;
  request_id: string;
  action_id: string | null;
  parent_action_id: string | null;
  session_id: string | null;
  trace_id: string;
  /** The event's `refs` (other ids it records), indexed for lookups; empty when it has none. */
  refs: readonly string[];
}

// Separators for packing wire events into one string: canonical JSON never holds raw C0
// characters (they are always escaped), so these cannot occur inside a part.
const PART = '\u0000';
const EVENT = '\u0001';

/**
 * Packs wire events into one string (posting one string to a thread is a plain copy, where an
 * array of objects is cloned member by member). The columns go as plain JSON.stringify text:
 * only unpackWires reads it (the hashed body is the segments, canonical already).
 */
export function packWires(wires: readonly WireEvent[]): string {
  let out = '';
  for (let i = 0; i < wires.length; i++) {
    const w = wires[i] as WireEvent;
    const s = w.segments;
    const columns = JSON.stringify([w.type, w.request_id, w.action_id, w.parent_action_id, w.session_id, w.trace_id, w.refs]);
    out += `${i === 0 ? '' : EVENT}${s[0]}${PART}${s[1]}${PART}${s[2]}${PART}${s[3]}${PART}${s[4]}${PART}${columns}`;
  }
  return out;
}

export function unpackWires(packed: string): WireEvent[] {
  if (packed === '') return [];
  return packed.split(EVENT).map((text) => {
    const parts = text.split(PART);
    if (parts.length !== 6) throw new Error('malformed packed wire event');
    const [type, request_id, action_id, parent_action_id, session_id, trace_id, refs] = JSON.parse(parts[5] as string) as [
      string,
      string,
      string | null,
      string | null,
      string | null,
      string,
      string[],
    ];
    return {
      segments: parts.slice(0, 5) as WireEvent['segments'],
      type,
      request_id,
      action_id,
      parent_action_id,
      session_id,
      trace_id,
      refs,
    };
  });
}

/** Store-assigned members of the body, in canonical (sorted) order. */
const STORE_MEMBER_ORDER = ['event_id', 'prev_hash', 'seq', 'ts'] as const;

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

/** Most ids one event may carry in `refs`, and the longest such id. */
export const MAX_REFS = 32;
export const MAX_REF_CHARS = 256;

function validateRefs(refs: unknown): void {
  if (refs === undefined) return;
  if (!Array.isArray(refs) || refs.length > MAX_REFS) throw invalid(`audit event refs must be an array of at most ${MAX_REFS} ids`);
  const seen = new Set<string>();
  for (const ref of refs) {
    if (!isId(ref) || (ref as string).length > MAX_REF_CHARS) throw invalid(`audit event refs must be non-empty strings of at most ${MAX_REF_CHARS} characters`);
    if (seen.has(ref as string)) throw invalid('audit event refs must not repeat an id');
    seen.add(ref as string);
  }
}

/** Type of the prune record (retention/record.ts): only a store's prune appends one. */
const PRUNE_RECORD_TYPE = 'audit.pruned';

function validate(copy: Record<string, unknown>, pruneRecord: boolean): void {
  for (const field of STORE_FIELDS) {
    if (field in copy) throw invalid(`audit event must not set ${field}; the store assigns it`);
  }
  // `pruned` marks a tombstone; an appended event never carries it.
  if ('pruned' in copy) throw invalid('audit event must not set pruned; only a prune writes it');
  if ((copy.type === PRUNE_RECORD_TYPE) !== pruneRecord) {
    throw invalid(pruneRecord ? 'a prune record must have type audit.pruned' : 'audit event type audit.pruned is reserved for prune records');
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
  validateRefs(copy.refs);
}

/**
 * Validates an input and canonicalizes it once. Top-level `undefined` fields are dropped
 * (optional fields left unset); anything else JSON cannot represent exactly is refused with
 * ERR_AUDIT_INVALID_EVENT.
 */
/** What every adapter's append validates first: an array of well-formed events, prepared; throws ERR_AUDIT_INVALID_EVENT. */
export function prepareAppend(events: unknown): PreparedInput[] {
  if (!Array.isArray(events)) throw new AirlockError('ERR_AUDIT_INVALID_EVENT', 'append takes an array of events', { status: 500 });
  return (events as AuditEventInput[]).map((event) => prepareInput(event));
}

export function prepareInput(input: AuditEventInput, options: { pruneRecord?: boolean } = {}): PreparedInput {
  if (!isPlainObject(input)) throw invalid('audit event must be a plain object');
  const fields: Record<string, unknown> = {};
  const keys: string[] = [];
  for (const key of Object.keys(input)) {
    const value = (input as unknown as Record<string, unknown>)[key];
    if (value === undefined) continue;
    fields[key] = value;
    keys.push(key);
  }
  validate(fields, options.pruneRecord === true);
  sortKeys(keys);
  const segments: string[] = [];
  let segment = '';
  let next = 0; // index into STORE_MEMBER_ORDER of the next store member to place
  for (const key of keys) {
    while (next < STORE_MEMBER_ORDER.length && (STORE_MEMBER_ORDER[next] as string) < key) {
      segments.push(segment);
      segment = '';
      next++;
    }
    let member: string;
    try {
      member = `${canonicalKey(key)}:${canonicalJson(fields[key])}`;
    } catch (cause) {
      const detail = isAirlockError(cause) ? `: ${cause.message}` : '';
      throw invalid(`audit event field ${JSON.stringify(key)} is not canonical json${detail}`, cause);
    }
    segment = segment === '' ? member : `${segment},${member}`;
  }
  segments.push(segment);
  while (segments.length < 5) segments.push('');
  const wire: WireEvent = {
    segments: segments as WireEvent['segments'],
    type: fields.type as string,
    request_id: fields.request_id as string,
    action_id: fields.action_id as string | null,
    parent_action_id: fields.parent_action_id as string | null,
    session_id: fields.session_id as string | null,
    trace_id: fields.trace_id as string,
    refs: (fields.refs as string[] | undefined) ?? [],
  };
  return { fields, wire };
}

export interface SealMeta {
  seq: number;
  eventId: string;
  ts: string;
  prevHash: string;
}

/** The canonical body (the event without `hash`) of a wire event under `meta`. */
export function sealBody(segments: WireEvent['segments'], meta: SealMeta): string {
  const store = [
    `"event_id":${canonicalKey(meta.eventId)}`,
    `"prev_hash":${canonicalKey(meta.prevHash)}`,
    `"seq":${canonicalJson(meta.seq)}`,
    `"ts":${canonicalKey(meta.ts)}`,
  ];
  const parts: string[] = [];
  for (let i = 0; i < 5; i++) {
    const segment = segments[i] as string;
    if (segment !== '') parts.push(segment);
    const member = store[i];
    if (member !== undefined) parts.push(member);
  }
  return `{${parts.join(',')}}`;
}

/** The stored record of a wire event under `meta`. */
export function sealRecord(wire: WireEvent, meta: SealMeta): StoredEventRecord {
  const body = sealBody(wire.segments, meta);
  return {
    seq: meta.seq,
    event_id: meta.eventId,
    ts: meta.ts,
    type: wire.type,
    request_id: wire.request_id,
    action_id: wire.action_id,
    parent_action_id: wire.parent_action_id,
    session_id: wire.session_id,
    trace_id: wire.trace_id,
    prev_hash: meta.prevHash,
    hash: `sha256:${sha256Hex(body)}`,
    body,
  };
}

/** The event a caller gets back: its snapshot plus the store's fields. */
export function eventOf(prepared: PreparedInput, meta: SealMeta, hash: string): AuditEvent {
  return { ...prepared.fields, seq: meta.seq, event_id: meta.eventId, ts: meta.ts, prev_hash: meta.prevHash, hash } as unknown as AuditEvent;
}

/** Turns a prepared input into the event and its stored record, chained onto `prevHash`. */
export function sealEvent(input: PreparedInput, meta: SealMeta): { event: AuditEvent; record: StoredEventRecord } {
  const record = sealRecord(input.wire, meta);
  return { event: eventOf(input, meta, record.hash), record };
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
    canonical = canonicalJson(parsed);
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
