/**
 * Break-glass override records and the store interface every adapter implements. An
 * override lets one named operator authorize either one exact action (by action hash) or
 * one tool, inside one tenant, until a bounded expiry; it can be revoked early.
 */

/** What an override covers: one action hash, or every call of one tool, in one tenant. */
export type OverrideScope =
  | { kind: 'action'; action_hash: string; tenant: string }
  | { kind: 'tool'; tool: string; tenant: string };

/** Identity of an operator, copied from their verified token. */
export interface OverrideOwner {
  user: string;
  tenant: string;
  issuer: string;
  roles: string[];
}

export interface Override {
  /** `ovr_...` */
  id: string;
  scope: OverrideScope;
  /** Operator who broke the glass. */
  owner: OverrideOwner;
  /** Mandatory reason, trimmed. */
  justification: string;
  /** Epoch milliseconds. */
  created_at: number;
  /** Epoch milliseconds; the override covers nothing from this instant on. */
  expires_at: number;
  revoked_at?: number;
  revoked_by?: OverrideOwner;
  /** Mandatory reason given when revoking. */
  revoke_justification?: string;
  /** When the service first noticed the override past its expiry (closure time of an expired override). */
  expired_at?: number;
  /** Calls the override has let through. */
  uses: number;
}

export type OverrideState = 'open' | 'revoked' | 'expired';

/** State of an override at `now` (epoch ms). */
export function overrideState(override: Override, now: number): OverrideState {
  if (override.revoked_at !== undefined) return 'revoked';
  if (override.expired_at !== undefined || override.expires_at <= now) return 'expired';
  return 'open';
}

export interface OverrideRevocation {
  revoked_at: number;
  revoked_by: OverrideOwner;
  revoke_justification: string;
}

/**
 * Durable override records. Every mutation is a single atomic compare-and-set: of any number
 * of concurrent callers, at most one revokes or marks an override expired, and every use is
 * counted exactly once.
 */
export interface OverrideStore {
  /** Rejects when the id already exists. */
  create(override: Override): Promise<void>;
  get(id: string): Promise<Override | null>;
  /** Every override of the tenant, oldest first. */
  list(filter: { tenant: string }): Promise<Override[]>;
  /**
   * Overrides of `tenant` neither revoked nor marked expired whose scope is the action hash
   * `actionHash` or the tool `tool` (expiry time is not checked: the caller settles it).
   */
  candidates(query: { tenant: string; actionHash: string; tool: string }): Promise<Override[]>;
  /** Revokes only when the override is open at `revoked_at`; true when this call revoked it. */
  revoke(id: string, revocation: OverrideRevocation): Promise<boolean>;
  /** Sets `expired_at` only when the override is not revoked, not yet marked and `expires_at <= at`. */
  markExpired(id: string, at: number): Promise<boolean>;
  /** Counts one use when the override is open at `at`; the updated record, or null when it is not open. */
  recordUse(id: string, at: number): Promise<Override | null>;
  /** Tenant and creation time of every override open at `at` (not revoked, not marked expired, `expires_at > at`), all tenants. */
  openAt(at: number): Promise<Array<{ tenant: string; created_at: number }>>;
}
