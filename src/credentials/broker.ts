/**
 * CredentialBroker: mints the just-in-time credential the credential phase hands to a
 * connector once policy has allowed one exact action. The credential is an HS256 JWT
 * (`typ: airlock-cred+jwt`) bound to the connector (`aud`), the user and tenant, the acting
 * agent (`act`), the session the call is made in (`sid`), the policy's scope, the action hash (`ah`) and — given the call's target —
 * the tool (`tool`), target resource (`res`) and arguments hash (`argh`) an upstream checks
 * against the request it serves (binding.ts), living at most `maxTtlSeconds`.
 *
 * The token is for the connector only: it must never be returned to the agent, put in model
 * context, logged, audited or stored. Record `credentialRecord(minted)` — jti, scope and
 * expiry — and nothing else. Neither the broker nor a minted credential shows the token or
 * the key through `toJSON()` or `util.inspect`.
 */
import type { KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { systemClock, type Clock } from '../core/clock.ts';
import { newTimeOrderedId } from '../core/ids.ts';
import { argumentsHash } from './binding.ts';
import { hs256Key, signHs256 } from './hs256.ts';
import { MintRevocationCheck } from './mint-check.ts';
import { credentialError } from './errors.ts';
import { parseScope } from './scope.ts';
import type { CredentialRecord, CredentialResource, MintRequest, RevocationStore, RevocationTarget } from './types.ts';

/** Lifetime when the policy names none (`@credential_ttl` absent). */
export const DEFAULT_CREDENTIAL_TTL_SECONDS = 60;
/** `typ` header of every Airlock credential, so no other JWT signed with the key passes as one. */
export const CREDENTIAL_TYP = 'airlock-cred+jwt';
/** Shortest HS256 key accepted (RFC 7518 §3.2: at least the hash output size). */
export const MIN_KEY_BYTES = 32;
/**
 * How long a revocation outlives the credentials it covers: verifiers may tolerate this much
 * clock skew and no more (a larger tolerance would accept a revoked credential once its entry is purged).
 */
export const REVOCATION_MARGIN_MS = 5 * 60_000;

export interface CredentialBrokerOptions {
  /** HS256 signing key, at least 32 bytes (resolve it from a secret reference). */
  key: Uint8Array;
  issuer: string;
  /** Upper bound on any credential's lifetime, whatever the policy asks. */
  maxTtlSeconds: number;
  clock?: Clock;
  revocations: RevocationStore;
}

/** A freshly minted credential. `token` goes to the connector; JSON and inspect show only the safe record. */
export class MintedCredential {
  readonly token: string;
  readonly jti: string;
  readonly scope: string;
  readonly audience: string;
  /** Epoch seconds. */
  readonly expiresAt: number;

  constructor(fields: { token: string; jti: string; scope: string; audience: string; expiresAt: number }) {
    this.token = fields.token;
    this.jti = fields.jti;
    this.scope = fields.scope;
    this.audience = fields.audience;
    this.expiresAt = fields.expiresAt;
  }

  toJSON(): CredentialRecord {
    return credentialRecord(this);
  }

  [inspect.custom](): string {
    return `MintedCredential ${JSON.stringify({ ...credentialRecord(this), audience: this.audience })}`;
  }
}

/** Exactly what may be recorded about a credential: jti, scope, expiry (epoch seconds). */
export function credentialRecord(credential: { jti: string; scope: string; expiresAt: number }): CredentialRecord {
  return { jti: credential.jti, scope: credential.scope, expiresAt: credential.expiresAt };
}

function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw credentialError('ERR_CREDENTIAL_REQUEST', `${what} must be a non-empty string`);
  }
  return value;
}

/** The `tool`, `res` and `argh` claims of a target (see binding.ts). */
function targetClaims(target: NonNullable<MintRequest['target']>): { tool: string; res: CredentialResource; argh: string } {
  const tool = requireText(target.tool, 'credential tool');
  const { type, id } = target.resource ?? {};
  if (typeof type !== 'string' || type === '' || (id !== null && typeof id !== 'string')) {
    throw credentialError('ERR_CREDENTIAL_REQUEST', 'credential target resource must have a type and a string or null id');
  }
  return { tool, res: { type, id }, argh: argumentsHash(tool, target.arguments) };
}

function isPositiveWhole(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export class CredentialBroker {
  /** The signing key, made once (signing with the raw bytes re-imported them for every credential). */
  readonly #key: KeyObject;
  readonly #issuer: string;
  readonly #maxTtlSeconds: number;
  readonly #clock: Clock;
  readonly #revocations: RevocationStore;
  readonly #mintCheck: MintRevocationCheck;

  constructor(options: CredentialBrokerOptions) {
    if (!(options.key instanceof Uint8Array) || options.key.byteLength < MIN_KEY_BYTES) {
      throw credentialError('ERR_CREDENTIAL_CONFIG', `credential signing key must be at least ${MIN_KEY_BYTES} bytes`);
    }
    if (typeof options.issuer !== 'string' || options.issuer === '') {
      throw credentialError('ERR_CREDENTIAL_CONFIG', 'credential issuer must be a non-empty string');
    }
    if (!isPositiveWhole(options.maxTtlSeconds)) {
      throw credentialError('ERR_CREDENTIAL_CONFIG', 'credential max ttl must be a positive whole number of seconds');
    }
    this.#key = hs256Key(options.key);
    this.#issuer = options.issuer;
    this.#maxTtlSeconds = options.maxTtlSeconds;
    this.#clock = options.clock ?? systemClock;
    this.#revocations = options.revocations;
    this.#mintCheck = new MintRevocationCheck(options.revocations, this.#clock);
  }

  get issuer(): string {
    return this.#issuer;
  }

  get maxTtlSeconds(): number {
    return this.#maxTtlSeconds;
  }

  /** The lifetime a request gets: its ttl (default 60 s) capped by `maxTtlSeconds`. */
  ttlFor(requested: number | undefined): number {
    if (requested !== undefined && !isPositiveWhole(requested)) {
      throw credentialError('ERR_CREDENTIAL_REQUEST', 'credential ttl must be a positive whole number of seconds');
    }
    return Math.min(requested ?? DEFAULT_CREDENTIAL_TTL_SECONDS, this.#maxTtlSeconds);
  }

  /**
   * Mints one credential. Refuses (ERR_CREDENTIAL_REVOKED) when a revocation already covers
   * it — a revocation from the same clock second — rather than hand out a dead credential:
   * one made through this broker at once, one stored by another process or replica once the
   * mint check's snapshot of recent revocations is read again (at most 250 ms, mint-check.ts).
   */
  async mint(request: MintRequest): Promise<MintedCredential> {
    if (parseScope(request.scope) === null) {
      throw credentialError('ERR_CREDENTIAL_REQUEST', 'credential scope must be space-separated scope tokens');
    }
    const audience = requireText(request.audience, 'credential audience');
    const actionHash = requireText(request.actionHash, 'credential action hash');
    const user = requireText(request.principal?.user, 'credential user');
    const tenant = requireText(request.principal?.tenant, 'credential tenant');
    const agent = request.principal.agent;
    if (agent !== undefined) requireText(agent, 'credential agent');
    const session = request.session;
    if (session !== undefined) requireText(session, 'credential session');
    const claimed = request.target === undefined ? undefined : targetClaims(request.target);
    const ttl = this.ttlFor(request.ttlSeconds);
    const iat = Math.floor(this.#clock.now() / 1000);
    const exp = iat + ttl;
    // Time-ordered (the mint time in ms, then 128 CSPRNG bits): the audit log's `event_refs`
    // index, which holds every decision's jti, grows at its end instead of on random pages.
    const jti = newTimeOrderedId('jti', this.#clock.now());

    const revoked = await this.#mintCheck.check({
      jti,
      user,
      tenant,
      audience,
      agent: agent ?? null,
      tool: claimed?.tool ?? null,
      session: session ?? null,
      issuedAt: iat,
    });
    if (revoked !== null) {
      throw credentialError('ERR_CREDENTIAL_REVOKED', `credentials for this ${revoked.target.kind} are revoked`);
    }

    const claims: Record<string, unknown> = { tenant, scope: request.scope, ah: actionHash };
    if (agent !== undefined) claims.act = { sub: agent };
    if (session !== undefined) claims.sid = session;
    if (claimed !== undefined) Object.assign(claims, claimed);
    // The registered claims in the order jose's SignJWT writes them (the token is byte for byte the same).
    Object.assign(claims, { iss: this.#issuer, aud: audience, sub: user, jti, iat, exp });
    const token = signHs256({ alg: 'HS256', typ: CREDENTIAL_TYP }, claims, this.#key);
    return new MintedCredential({ token, jti, scope: request.scope, audience, expiresAt: exp });
  }

  /**
   * Revokes one credential (jti) or everything issued so far to a target (user, tenant,
   * connector, agent, tool, session, or everything: see RevocationTarget).
   * The entry is kept until every credential it can cover has expired (now + max ttl, plus
   * a margin for verifiers that tolerate clock skew).
   */
  async revoke(target: RevocationTarget): Promise<void> {
    const now = this.#clock.now();
    const expiresAt = now + this.#maxTtlSeconds * 1000 + REVOCATION_MARGIN_MS;
    const entry = { target, revokedAt: now, expiresAt };
    await this.#revocations.revoke(entry);
    this.#mintCheck.revoked(entry);
  }

  toJSON(): { issuer: string; maxTtlSeconds: number } {
    return { issuer: this.#issuer, maxTtlSeconds: this.#maxTtlSeconds };
  }

  [inspect.custom](): string {
    return `CredentialBroker ${JSON.stringify(this.toJSON())}`;
  }
}
