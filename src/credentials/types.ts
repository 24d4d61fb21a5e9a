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
  /** The session the call was made in, when it was made in one (a session revocation covers it). */
  sid?: string;
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
  /** The session the call is made in (claim `sid`), so a session revocation reaches the credential. */
  session?: string;
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

/**
 * What can be revoked: one credential (jti), or everything issued up to now to a user, a
 * tenant, a connector (audience; with `tenant`, only that tenant's credentials for it), an
 * acting agent (`act.sub`), a tool (claim `tool`), a session (claim `sid`), or everything
 * (`global`). For `agent`, `tool` and `session`, `tenant` confines the revocation to that
 * tenant's credentials; null reaches every tenant's. A kill switch maps to these
 * (src/pipeline/kill-switches.ts); a tenant-confined switch uses the tenant-confined variant.
 */
export type RevocationTarget =
  | { kind: 'jti'; jti: string }
  | { kind: 'user'; tenant: string; user: string }
  | { kind: 'tenant'; tenant: string }
  | { kind: 'connector'; audience: string; tenant?: string }
  | { kind: 'agent'; tenant: string | null; agent: string }
  | { kind: 'tool'; tenant: string | null; tool: string }
  | { kind: 'session'; tenant: string | null; session: string }
  | { kind: 'global' };

export interface RevocationEntry {
  target: RevocationTarget;
  /** Epoch milliseconds. Every revocation but a jti one covers credentials issued at or before it. */
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
  /** The acting agent (`act.sub`), or null when the credential names none. */
  agent: string | null;
  /** The tool (claim `tool`), or null when the credential names none. */
  tool: string | null;
  /** The session (claim `sid`), or null when the credential was not minted in one. */
  session: string | null;
  /**
   * The credential's `iat`, epoch seconds. A revocation other than a jti one covers it when
   * `issuedAt * 1000 <= revokedAt`: a credential from the same second as the revocation counts
   * as revoked (the clock second is all a JWT records, so the doubt goes to refusal).
   */
  issuedAt: number;
}

/**
 * Where revocations live. `revoke` resolves only once the entry is stored (durably, for a
 * durable adapter); re-revoking the same target keeps the later `revokedAt` and the later
 * `expiresAt` (a revocation never shrinks). `check` returns a covering entry or null and
 * must reject (never answer null) when it cannot tell. `revokedSince` returns every stored
 * entry (of any kind) whose `revokedAt` is at or after `sinceMs`, read from committed rows,
 * and rejects when it cannot read them (the broker's mint check, mint-check.ts). `purge` drops
 * entries whose `expiresAt` is at or before `now` and returns how many it dropped.
 */
export interface RevocationStore {
  revoke(entry: RevocationEntry): Promise<void>;
  check(subject: RevocationSubject): Promise<RevocationEntry | null>;
  revokedSince(sinceMs: number): Promise<RevocationEntry[]>;
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
