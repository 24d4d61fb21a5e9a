/**
 * Governed memory's vocabulary: a memory record (what an agent may remember, with its
 * schema kind, owner, tenant, provenance, confidence and expiry), its review state, and the
 * MemoryStore interface every adapter implements (tenant in every call: a store can never
 * be asked across tenants).
 */
import type { JsonValue } from '../core/canonical.ts';

export type MemoryState = 'active' | 'pending_review' | 'rejected';

export const PROVENANCE_KINDS = ['user_statement', 'agent_inference', 'tool_output', 'document', 'web', 'email'] as const;
export type MemoryProvenanceKind = (typeof PROVENANCE_KINDS)[number];

/** Provenance kinds whose writes always wait for a reviewer. */
export const UNTRUSTED_PROVENANCE: ReadonlySet<MemoryProvenanceKind> = new Set(['tool_output', 'document', 'web', 'email']);

export interface MemoryProvenance {
  kind: MemoryProvenanceKind;
  /** The session the memory was formed in (lets the gateway check the content's provenance). */
  session_id?: string;
  /** Content ids, action ids or source ids it was derived from. */
  source_ids: string[];
  /** For `tool_output`: the tool. */
  tool?: string;
}

export interface MemoryReview {
  /** Why the write was queued (`provenance.tool_output`, `content.tainted`, ...). */
  reasons: string[];
  verdict?: 'promote' | 'reject';
  decided_by?: { user: string; roles: string[] };
  decided_at?: number;
  justification?: string;
}

export interface MemoryRecord {
  id: string;
  tenant: string;
  /** `<user id>` or `role:<role>`: who may read it inside the tenant. */
  owner: string;
  /**
   * The token issuer of a user owner (absent for a role owner, and in records written before it
   * was kept): the same user id from another issuer trusted for the tenant is another person.
   */
  owner_issuer?: string;
  /** A kind declared in config, whose JSON Schema the content matched. */
  kind: string;
  content: JsonValue;
  content_hash: string;
  provenance: MemoryProvenance;
  /** 0..1 */
  confidence: number;
  created_at: number;
  expires_at: number;
  /** `issuer` absent in records written before it was kept. */
  created_by: { user: string; agent: string | null; issuer?: string };
  state: MemoryState;
  review?: MemoryReview;
}

export interface MemoryQuery {
  tenant: string;
  state: MemoryState;
  /** Only records with one of these owners (absent: any owner of the tenant). */
  owners?: readonly string[];
  kind?: string;
  /** Only records whose index holds every one of these terms. */
  terms?: readonly string[];
  /** Only records that have not expired at this time (ms). */
  liveAt?: number;
  limit: number;
}

export interface MemoryStore {
  /** Stores a new record and its derived index terms, atomically. Throws on a duplicate id. */
  put(record: MemoryRecord, terms: readonly string[]): Promise<void>;
  /** The record, only if it belongs to `tenant`. */
  get(tenant: string, id: string): Promise<MemoryRecord | null>;
  /** Matching records of one tenant, newest first. */
  list(query: MemoryQuery): Promise<MemoryRecord[]>;
  /**
   * Compare-and-set: moves record `id` of `tenant` from `from` to `to` and sets its review,
   * only if it is in `from` at that moment. True when this call made the change.
   */
  transition(tenant: string, id: string, from: MemoryState, to: MemoryState, review: MemoryReview): Promise<boolean>;
  /** Deletes the record and every index entry derived from it. True when it existed (in `tenant`). */
  delete(tenant: string, id: string): Promise<boolean>;
  /** How many index entries are derived from the record (0 once deleted). */
  indexEntries(tenant: string, id: string): Promise<number>;
}
