/**
 * Credential vocabulary: what a just-in-time credential says (its claims), what the
 * broker is asked for and hands back, the only record of it that may be kept, and the
 * revocation store contract.
 */
import type { JsonValue } from '../core/canonical.ts';

/** A target resource as the gateway scoped it: its type and id (null when the tool names none). */
export interface CredentialResource {
  type: string;
  id: string | null;
}

/** Claims of an Airlock just-in-time credential (a JWT with `typ: airlock-cred+jwt`). */
export interface CredentialClaims {
  iss: string;
  /** The connector id the credential is for. */
  aud: string;
  /** The user the action runs for. */
  sub: string;
  tenant: string;
  /** The acting agent (RFC 8693 actor claim), when an agent acts for the user. */
  act?: { sub: string };
  /** Space-delimited scope tokens (RFC 8693 / RFC 6749). */
  scope: string;
  /** Hash of the exact action the credential was minted for. */
  ah: string;
  /** The tool the credential was minted for. */
  tool?: string;
  /** The target resource the credential was minted for. */
  res?: CredentialResource;
  /** Hash of the tool with its normalized arguments (`argumentsHash`), recomputable by the upstream. */
  argh?: string;
  jti: string;
  /** Epoch seconds. */
  iat: number;
  /** Epoch seconds. */
  exp: number;
}

export interface MintRequest {
  /** From the policy's `@credential_scope`. */
  scope: string;
  /** From the policy's `@credential_ttl`; 60 s when the policy gives none. Capped by the broker. */
  ttlSeconds?: number;
  /** The connector id: only that connector's upstream accepts the credential. */
  audience: string;
  actionHash: string;
  principal: { user: string; tenant: string; agent?: string };
  /**
   * The exact request the credential is for: tool, target resource and normalized arguments
   * (claims `tool`, `res`, `argh`), so the upstream can check it against the request it serves.
   */
  target?: { tool: string; resource: CredentialResource; arguments: Record<string, JsonValue> };
}

/**
 * The only facts about a credential that may be recorded (audit, logs, decisions): never
 * the token. `expiresAt` is epoch seconds.
 */
export interface CredentialRecord {
  jti: string;
  scope: string;
  expiresAt: number;
}

/** What can be revoked: one credential, or everything issued to a user, a tenant or a connector. */
export type RevocationTarget =
  | { kind: 'jti'; jti: string }
  | { kind: 'user'; tenant: string; user: string }
  | { kind: 'tenant'; tenant: string }
  | { kind: 'connector'; audience: string };

export interface RevocationEntry {
  target: RevocationTarget;
  /** Epoch milliseconds. A user / tenant / connector revocation covers credentials issued at or before it. */
  revokedAt: number;
  /** Epoch milliseconds after which no credential the entry covers can still be valid (safe to purge). */
  expiresAt: number;
}

/** The facts of a presented credential a revocation check needs. */
export interface RevocationSubject {
  jti: string;
  user: string;
  tenant: string;
  audience: string;
  /**
   * The credential's `iat`, epoch seconds. A user / tenant / connector revocation covers it when
   * `issuedAt * 1000 <= revokedAt`: a credential from the same second as the revocation counts
   * as revoked (the clock second is all a JWT records, so the doubt goes to refusal).
   */
  issuedAt: number;
}

/**
 * Where revocations live. `revoke` resolves only once the entry is stored (durably, for a
 * durable adapter); re-revoking the same target keeps the later `revokedAt` and the later
 * `expiresAt` (a revocation never shrinks). `check` returns a covering entry or null and
 * must reject (never answer null) when it cannot tell. `purge` drops entries whose
 * `expiresAt` is at or before `now` and returns how many it dropped.
 */
export interface RevocationStore {
  revoke(entry: RevocationEntry): Promise<void>;
  check(subject: RevocationSubject): Promise<RevocationEntry | null>;
  purge(now: number): Promise<number>;
}

/**
 * Where the uses of one-time credentials are recorded (the verifier's `oneTime` replay
 * guard). A durable adapter keeps the record across restarts, and an adapter shared by
 * several upstream replicas lets a one-time credential be accepted once across all of them.
 */
export interface CredentialUseStore {
  /**
   * Records the first use of credential `jti`. Resolves only once the use is recorded
   * (committed, for a durable adapter). Rejects with `ERR_CREDENTIAL_REPLAYED` (401) when
   * the jti is recorded already — whatever its expiry, until `purge` drops it — and with
   * `ERR_CREDENTIAL_UNAVAILABLE` (503) when it cannot tell or cannot record: it never
   * accepts then. Atomic: of any number of concurrent uses of one jti, through any handles
   * on the same storage, exactly one resolves. `expiresAtSeconds` is when the credential can
   * no longer be valid (epoch seconds, its `exp` plus the verifier's tolerance).
   */
  use(jti: string, expiresAtSeconds: number, nowSeconds: number): Promise<void>;
  /** Drops the uses whose `expiresAtSeconds` is before `nowSeconds` (their credentials are expired) and returns how many. */
  purge(nowSeconds: number): Promise<number>;
}
