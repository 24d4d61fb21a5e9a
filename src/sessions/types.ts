/**
 * The sessions domain's records and store interface: who owns a session and its attributes,
 * and what a store must guarantee.
 */
import type { SessionOwner } from '../core/types.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { TargetPattern } from './targets.ts';

export interface SessionRecord {
  id: string;
  /**
   * Principal that created the session: issuer, tenant, user and the acting agent (null when
   * the token named none). Any other principal — the same user acting as another agent
   * included — sees it as unknown.
   */
  owner: SessionOwner;
  attributes: Record<string, JsonValue>;
  /**
   * The targets the session's task may touch (targets.ts), as the application declared them
   * at creation, normalized. Absent: no target scope was declared (nothing is out of scope);
   * empty: the task may touch no target.
   */
  targets?: TargetPattern[];
  createdAt: number;
}

/**
 * Where sessions live. A session record never changes once created, so adapters may cache
 * reads. Every method rejects (ERR_STATE_UNAVAILABLE / ERR_STORE_UNAVAILABLE) when the store
 * cannot answer; it never answers "unknown" for a session it could not read.
 */
export interface SessionStore {
  /**
   * Stores a new session; resolves once it is durable (committed) in a durable adapter.
   * Rejects when the id exists (a session is never overwritten) or when the write failed, and
   * then nothing was stored.
   */
  create(record: SessionRecord): Promise<void>;
  /** The session, or null when no session has that id. */
  get(id: string): Promise<SessionRecord | null>;
}
