/**
 * MemoryService: governed memory for agents. A write needs a declared kind whose JSON Schema
 * the content matches, an owner (the caller, or `role:<r>` for a role the caller holds),
 * provenance, a confidence in 0..1 and an expiry; the tenant is the caller's (from the
 * token, never from the request). Secrets are refused. A write derived from tool output or
 * untrusted content - by its declared provenance, by the gateway's provenance check of its
 * session, or because an agent wrote it without naming its session - goes to a review queue
 * instead of memory; a reviewer (role, same tenant, not the writer, never an agent) promotes
 * or rejects it. Retrieval is scoped to the caller's tenant and visible owners and returns
 * only active, unexpired memories. Deletion removes the record and its index entries. Every
 * write, refusal, review and deletion is an audit event (hashes and metadata, never content).
 */
import Ajv2020 from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { JsonValue } from '../core/canonical.ts';
import { canonicalHash, canonicalize } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { AuditEventInput, Principal } from '../core/types.ts';
import type { MemoryConfig } from '../config/types.ts';
import { indexTerms, queryTerms, textOfContent } from './terms.ts';
import type { MemoryProvenance, MemoryProvenanceKind, MemoryRecord, MemoryStore } from './types.ts';
import { PROVENANCE_KINDS, UNTRUSTED_PROVENANCE } from './types.ts';

export interface MemoryWriteInput {
  kind: string;
  content: unknown;
  owner: string;
  provenance: unknown;
  confidence: unknown;
  /** ISO 8601 with a zone or epoch milliseconds; or give `ttl_seconds`. */
  expires_at?: unknown;
  ttl_seconds?: unknown;
}

export interface MemoryWriteResult {
  id: string;
  state: MemoryRecord['state'];
  /** Why it waits for review (empty when it was stored). */
  review_reasons: string[];
}

export interface MemoryServiceOptions {
  store: MemoryStore;
  config: MemoryConfig;
  clock: Clock;
  /** Appends audit events durably (rejects when they cannot be written). */
  audit(events: AuditEventInput[]): Promise<unknown>;
  /** The secret detector (shared with context redaction). */
  containsSecret(text: string): boolean;
  /**
   * Checks a write's session (the caller's own, else throws) and returns the paths of the
   * values of `subject` that came from untrusted content only in that session (empty: none).
   * `subject` is `{ content }`: the provenance check traces the keys of objects inside an
   * argument like values, so untrusted text stored as a key of the content is found too.
   */
  taintOf(principal: Principal, sessionId: string, subject: JsonValue): Promise<string[]>;
  runtime?: { modelId: string | null; configId: string | null };
}

const MAX_CONTENT_BYTES = 64 * 1024;
const MAX_SOURCE_IDS = 32;
const MAX_LIMIT = 100;
/** Owner names of role owners; a user id of this form is never an owner (it would name the role). */
const ROLE_OWNER = 'role:';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const bad = (code: `ERR_MEMORY_${string}`, message: string, status = 400, details?: Record<string, unknown>) =>
  new AirlockError(code, message, { status, ...(details === undefined ? {} : { details }) });

function compileKinds(config: MemoryConfig): Map<string, ValidateFunction> {
  const ajv = new Ajv2020.default({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, addUsedSchema: false });
  addFormats.default(ajv);
  return new Map(Object.entries(config.kinds).map(([name, kind]) => [name, ajv.compile(kind.schema)]));
}

function provenanceOf(value: unknown): MemoryProvenance {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad('ERR_MEMORY_PROVENANCE', 'provenance is required: {kind, source_ids?, session_id?, tool?}');
  const p = value as Record<string, unknown>;
  if (!(PROVENANCE_KINDS as readonly unknown[]).includes(p.kind)) {
    throw bad('ERR_MEMORY_PROVENANCE', `provenance.kind must be one of ${PROVENANCE_KINDS.join(', ')}`);
  }
  const sourceIds = p.source_ids ?? [];
  if (!Array.isArray(sourceIds) || sourceIds.length > MAX_SOURCE_IDS || !sourceIds.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 200)) {
    throw bad('ERR_MEMORY_PROVENANCE', `provenance.source_ids must be at most ${MAX_SOURCE_IDS} strings`);
  }
  const out: MemoryProvenance = { kind: p.kind as MemoryProvenanceKind, source_ids: [...(sourceIds as string[])] };
  for (const key of ['session_id', 'tool'] as const) {
    const v = p[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length === 0 || v.length > 200) throw bad('ERR_MEMORY_PROVENANCE', `provenance.${key} must be a string`);
    out[key] = v;
  }
  return out;
}

export class MemoryService {
  readonly #o: MemoryServiceOptions;
  readonly #validators: Map<string, ValidateFunction>;

  constructor(options: MemoryServiceOptions) {
    this.#o = options;
    this.#validators = compileKinds(options.config);
  }

  get reviewerRole(): string {
    return this.#o.config.reviewerRole;
  }

  async write(principal: Principal, input: MemoryWriteInput): Promise<MemoryWriteResult> {
    const now = this.#o.clock.now();
    const kind = typeof input.kind === 'string' ? input.kind : '';
    const validate = this.#validators.get(kind);
    if (validate === undefined) throw bad('ERR_MEMORY_KIND', 'kind must be a memory kind declared in the config');
    const content = this.#content(input.content);
    if (!validate(content)) {
      throw bad('ERR_MEMORY_SCHEMA', `content does not match the schema of ${kind}`, 400, {
        errors: (validate.errors ?? []).slice(0, 20).map((e) => ({ path: e.instancePath, message: e.message ?? e.keyword })),
      });
    }
    const owner = this.#owner(principal, input.owner);
    const provenance = provenanceOf(input.provenance);
    const confidence = input.confidence;
    if (typeof confidence !== 'number' || !Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
      throw bad('ERR_MEMORY_CONFIDENCE', 'confidence is required: a number from 0 to 1');
    }
    const expiresAt = this.#expiry(kind, input, now);
    const contentHash = canonicalHash(content);

    if (this.#o.containsSecret(textOfContent(content))) {
      await this.#o.audit([this.#event(principal, 'memory.refused', { reason: 'secret', kind, owner, content_hash: contentHash, provenance: provenance.kind }, provenance.session_id)]);
      throw bad('ERR_MEMORY_SECRET', 'memory may not hold secrets (credentials, keys, tokens)');
    }

    const reasons: string[] = [];
    if (UNTRUSTED_PROVENANCE.has(provenance.kind)) reasons.push(`provenance.${provenance.kind}`);
    if (provenance.session_id !== undefined) {
      // Wrapped: the content's own keys are then keys inside an argument, which provenance traces too.
      const tainted = await this.#o.taintOf(principal, provenance.session_id, { content });
      if (tainted.length > 0) reasons.push('content.tainted');
    } else if (principal.agent !== undefined) {
      reasons.push('provenance.unverifiable');
    }

    const record: MemoryRecord = {
      id: newId('mem'),
      tenant: principal.tenant,
      owner,
      ...(owner.startsWith(ROLE_OWNER) ? {} : { owner_issuer: principal.issuer }),
      kind,
      content,
      content_hash: contentHash,
      provenance,
      confidence,
      created_at: now,
      expires_at: expiresAt,
      created_by: { user: principal.user, agent: principal.agent ?? null, issuer: principal.issuer },
      state: reasons.length === 0 ? 'active' : 'pending_review',
      ...(reasons.length === 0 ? {} : { review: { reasons } }),
    };
    const type = record.state === 'active' ? 'memory.written' : 'memory.queued';
    // On the record before it can be read.
    await this.#o.audit([this.#event(principal, type, this.#summary(record), provenance.session_id)]);
    await this.#o.store.put(record, indexTerms(kind, content));
    return { id: record.id, state: record.state, review_reasons: reasons };
  }

  /**
   * Active, unexpired memories of the caller's tenant that the caller may see. The store selects
   * by owner name; a user-owned record of the same user id from another issuer is then left out.
   */
  async search(principal: Principal, query: { kind?: string; q?: string; limit?: number } = {}): Promise<MemoryRecord[]> {
    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.trunc(query.limit ?? 20)));
    const found = await this.#o.store.list({
      tenant: principal.tenant,
      state: 'active',
      owners: this.#visibleOwners(principal),
      liveAt: this.#o.clock.now(),
      limit,
      ...(query.kind === undefined ? {} : { kind: query.kind }),
      ...(query.q === undefined ? {} : { terms: queryTerms(query.q) }),
    });
    return found.filter((record) => this.#owns(principal, record));
  }

  /** One memory: active and visible to the caller; a queued one to its writer and to reviewers. */
  async get(principal: Principal, id: string): Promise<MemoryRecord> {
    const record = await this.#o.store.get(principal.tenant, id);
    if (record === null || !this.#canSee(principal, record)) throw bad('ERR_MEMORY_NOT_FOUND', 'no such memory', 404);
    return record;
  }

  /** Deletes a memory (its owner, or a reviewer) with every index entry derived from it. */
  async delete(principal: Principal, id: string): Promise<void> {
    const record = await this.#o.store.get(principal.tenant, id);
    const mayDelete = record !== null && (this.#owns(principal, record) || this.#wrote(principal, record) || this.#isReviewer(principal));
    if (record === null || !mayDelete) throw bad('ERR_MEMORY_NOT_FOUND', 'no such memory', 404);
    await this.#o.audit([this.#event(principal, 'memory.deleted', { id: record.id, kind: record.kind, owner: record.owner, content_hash: record.content_hash, state: record.state })]);
    await this.#o.store.delete(principal.tenant, id);
  }

  /** The review queue of the reviewer's tenant. */
  async pending(principal: Principal): Promise<MemoryRecord[]> {
    this.#requireReviewer(principal);
    return this.#o.store.list({ tenant: principal.tenant, state: 'pending_review', limit: MAX_LIMIT });
  }

  /** Promotes a queued write into memory, or rejects it. */
  async review(principal: Principal, id: string, verdict: 'promote' | 'reject', justification: string): Promise<MemoryRecord> {
    this.#requireReviewer(principal);
    if (typeof justification !== 'string' || justification.trim() === '') throw bad('ERR_MEMORY_JUSTIFICATION', 'a justification is required');
    const record = await this.#o.store.get(principal.tenant, id);
    if (record === null) throw bad('ERR_MEMORY_NOT_FOUND', 'no such memory', 404);
    if (record.created_by.user === principal.user) throw bad('ERR_MEMORY_SELF_REVIEW', 'a write is reviewed by someone other than its writer', 403);
    if (record.state !== 'pending_review') throw bad('ERR_MEMORY_NOT_PENDING', 'the memory is not waiting for review', 409);
    if (verdict === 'promote' && record.expires_at <= this.#o.clock.now()) throw bad('ERR_MEMORY_EXPIRED', 'the memory has expired', 410);
    const review = {
      reasons: record.review?.reasons ?? [],
      verdict,
      decided_by: { user: principal.user, roles: principal.roles },
      decided_at: this.#o.clock.now(),
      justification: justification.slice(0, 2000),
    };
    const to = verdict === 'promote' ? 'active' : 'rejected';
    await this.#o.audit([
      this.#event(principal, 'memory.reviewed', { id, verdict, kind: record.kind, owner: record.owner, content_hash: record.content_hash, reasons: review.reasons, justification: review.justification }),
    ]);
    if (!(await this.#o.store.transition(principal.tenant, id, 'pending_review', to, review))) {
      throw bad('ERR_MEMORY_NOT_PENDING', 'the memory is not waiting for review', 409);
    }
    return { ...record, state: to, review };
  }

  #content(value: unknown): JsonValue {
    let text: string;
    try {
      text = canonicalize(value);
    } catch {
      throw bad('ERR_MEMORY_SCHEMA', 'content must be JSON');
    }
    if (text.length > MAX_CONTENT_BYTES) throw bad('ERR_MEMORY_TOO_LARGE', `content may hold at most ${MAX_CONTENT_BYTES} characters`, 413);
    return JSON.parse(text) as JsonValue;
  }

  #owner(principal: Principal, owner: unknown): string {
    if (typeof owner !== 'string' || owner === '') throw bad('ERR_MEMORY_OWNER', 'owner is required: your user id, or role:<role> for a role you hold');
    if (!this.#visibleOwners(principal).includes(owner)) throw bad('ERR_MEMORY_OWNER', 'owner must be your user id, or role:<role> for a role you hold', 403);
    return owner;
  }

  #expiry(kind: string, input: MemoryWriteInput, now: number): number {
    const cap = Math.min(this.#o.config.maxTtlSeconds, this.#o.config.kinds[kind]?.maxTtlSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    let at: number | null = null;
    if (typeof input.ttl_seconds === 'number' && Number.isSafeInteger(input.ttl_seconds) && input.ttl_seconds > 0) at = now + input.ttl_seconds * 1000;
    else if (typeof input.expires_at === 'number' && Number.isSafeInteger(input.expires_at)) at = input.expires_at;
    else if (typeof input.expires_at === 'string' && ISO.test(input.expires_at)) at = Date.parse(input.expires_at);
    if (at === null || Number.isNaN(at)) throw bad('ERR_MEMORY_EXPIRY', 'an expiry is required: expires_at (ISO 8601 or epoch ms) or ttl_seconds');
    if (at <= now) throw bad('ERR_MEMORY_EXPIRY', 'expires_at must be in the future');
    if (at - now > cap) throw bad('ERR_MEMORY_EXPIRY', `a ${kind} memory may live at most ${cap / 1000} seconds`);
    return at;
  }

  #visibleOwners(principal: Principal): string[] {
    const roles = principal.roles.map((r) => `${ROLE_OWNER}${r}`);
    return principal.user.startsWith(ROLE_OWNER) ? roles : [principal.user, ...roles];
  }

  #isReviewer(principal: Principal): boolean {
    return principal.roles.includes(this.#o.config.reviewerRole) && principal.agent === undefined;
  }

  #requireReviewer(principal: Principal): void {
    if (principal.agent !== undefined) throw bad('ERR_MEMORY_AGENT_FORBIDDEN', 'an agent never reviews memory', 403);
    if (!principal.roles.includes(this.#o.config.reviewerRole)) throw bad('ERR_MEMORY_ROLE_REQUIRED', `reviewing memory needs the ${this.#o.config.reviewerRole} role`, 403);
  }

  #canSee(principal: Principal, record: MemoryRecord): boolean {
    if (record.state === 'active') return record.expires_at > this.#o.clock.now() && this.#owns(principal, record);
    if (record.state === 'pending_review') return this.#wrote(principal, record) || this.#isReviewer(principal);
    return false;
  }

  /** The record's owner is the principal (same user and issuer) or a role it holds. */
  #owns(principal: Principal, record: MemoryRecord): boolean {
    if (!this.#visibleOwners(principal).includes(record.owner)) return false;
    return record.owner.startsWith(ROLE_OWNER) || record.owner_issuer === undefined || record.owner_issuer === principal.issuer;
  }

  /** The principal wrote the record (same user and issuer). */
  #wrote(principal: Principal, record: MemoryRecord): boolean {
    return record.created_by.user === principal.user && (record.created_by.issuer === undefined || record.created_by.issuer === principal.issuer);
  }

  #summary(record: MemoryRecord): JsonValue {
    return {
      id: record.id,
      kind: record.kind,
      owner: record.owner,
      state: record.state,
      content_hash: record.content_hash,
      provenance: { kind: record.provenance.kind, source_ids: record.provenance.source_ids, session_id: record.provenance.session_id ?? null, tool: record.provenance.tool ?? null },
      confidence: record.confidence,
      expires_at: record.expires_at,
      review_reasons: record.review?.reasons ?? [],
    };
  }

  #event(principal: Principal, type: string, data: JsonValue, sessionId?: string): AuditEventInput {
    return {
      type,
      request_id: newId('req'),
      trace_id: newId('trc'),
      session_id: sessionId ?? null,
      action_id: null,
      parent_action_id: null,
      actor: { user: principal.user, tenant: principal.tenant, roles: principal.roles, agent: principal.agent ?? null },
      model_id: this.#o.runtime?.modelId ?? null,
      runtime_config_id: this.#o.runtime?.configId ?? null,
      data,
      // The memory entry's id, so a lookup by it finds every event of the entry.
      ...(isIdRecord(data) ? { refs: [data.id] } : {}),
    };
  }
}

function isIdRecord(data: JsonValue): data is { id: string } {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && typeof data.id === 'string' && data.id.length > 0;
}
