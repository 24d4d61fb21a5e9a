/**
 * TokenVerifier: turns a bearer JWT into a verified Principal. The issuer is picked by the
 * token's (unverified) `iss`, then everything is checked against that issuer only: header
 * algorithm in its allowlist (never `none`), signature with its key, issuer, audience,
 * exp / nbf / iat within the configured skew, bounded lifetime, and the identity claims.
 */
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { errors as jose } from 'jose';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Principal } from '../core/types.ts';
import type { IdentityConfig, IssuerConfig } from '../config/types.ts';
import { MAX_TOKEN_LENGTH } from './bearer.ts';
import { principalFromClaims } from './claims.ts';
import { fromJoseError, identityConfigError, identityError } from './errors.ts';
import { loadIssuerKey, type SecretResolver, type VerificationKey } from './keys.ts';

export interface TokenVerifierOptions {
  /** Directory a relative `jwksFile` resolves against. */
  baseDir: string;
  clock?: Clock;
  /** Resolves an HS256 secret reference to its bytes (wired by the pipeline to config's resolveSecretRef). */
  resolveSecret?: SecretResolver;
  /** Verified tokens remembered (default 10,000; 0 turns the cache off). */
  cacheSize?: number;
}

interface CachedPrincipal {
  principal: Principal;
  exp: number;
  iat: number;
  nbf: number | undefined;
  verifiedAt: number;
}

/** A remembered verification is re-done after this long, so key rotation takes effect quickly. */
const CACHE_REVERIFY_MS = 60_000;

interface TrustedIssuer {
  config: IssuerConfig;
  key: VerificationKey;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** `typ` values accepted when a token carries one (RFC 7519 / RFC 9068 access tokens). */
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);
/** Most keys tried when a JWKS has several candidates for a token without `kid`. */
const MAX_CANDIDATE_KEYS = 8;

function unverifiedParts(token: string): { alg: string; typ: unknown; iss: unknown } {
  try {
    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    if (typeof header.alg !== 'string') throw new Error('no alg');
    return { alg: header.alg, typ: header.typ, iss: payload.iss };
  } catch (err) {
    throw identityError('ERR_IDENTITY_MALFORMED', 'token is malformed', err);
  }
}

async function verifyWithCandidates(
  token: string,
  key: VerificationKey,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  try {
    // Two call shapes because jose overloads on the key type.
    return typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
  } catch (err) {
    if (!(err instanceof jose.JWKSMultipleMatchingKeys)) throw err;
    // Several keys match a token without `kid` (rotation): try each, bounded.
    let tried = 0;
    let last: unknown = err;
    for await (const candidate of err as unknown as AsyncIterable<CryptoKey>) {
      if (++tried > MAX_CANDIDATE_KEYS) break;
      try {
        return await jwtVerify(token, candidate, options);
      } catch (inner) {
        last = inner;
        if (!(inner instanceof jose.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw last;
  }
}

export class TokenVerifier {
  readonly #identity: IdentityConfig;
  readonly #issuers: Map<string, TrustedIssuer>;
  readonly #clock: Clock;
  readonly #cacheSize: number;
  /**
   * Tokens that verified recently -> their principal. A hit is only used while the token is
   * inside its own validity window (exp, nbf, max age — without the skew allowance) and for at
   * most a minute; anything else is verified again from scratch. Failures are never cached.
   */
  readonly #cache = new Map<string, CachedPrincipal>();
  readonly #cacheStats = { hits: 0, misses: 0 };

  private constructor(identity: IdentityConfig, issuers: Map<string, TrustedIssuer>, clock: Clock, cacheSize: number) {
    this.#identity = identity;
    this.#issuers = issuers;
    this.#clock = clock;
    this.#cacheSize = cacheSize;
  }

  /** Loads every issuer's key. Throws ERR_IDENTITY_CONFIG on a setup that cannot verify safely. */
  static async create(config: IdentityConfig, options: TokenVerifierOptions): Promise<TokenVerifier> {
    if (config.audience === '') throw identityConfigError('identity audience must not be empty');
    if (config.issuers.length === 0) throw identityConfigError('identity needs at least one issuer');
    if (config.clockSkewSeconds < 0 || config.maxTokenAgeSeconds <= 0) {
      throw identityConfigError('clock skew must be >= 0 and max token age > 0');
    }
    const issuers = new Map<string, TrustedIssuer>();
    for (const issuer of config.issuers) {
      if (issuers.has(issuer.issuer)) throw identityConfigError(`issuer ${issuer.issuer} is configured twice`);
      issuers.set(issuer.issuer, { config: issuer, key: await loadIssuerKey(issuer, options.baseDir, options.resolveSecret) });
    }
    return new TokenVerifier(config, issuers, options.clock ?? systemClock, Math.max(0, Math.floor(options.cacheSize ?? 10_000)));
  }

  #cached(token: string, now: number): Principal | null {
    const principal = this.#fresh(token, now);
    if (principal === null) this.#cacheStats.misses++;
    else this.#cacheStats.hits++;
    return principal;
  }

  /** The remembered principal of `token` while it is fresh; a stale entry is dropped. Counts nothing. */
  #fresh(token: string, now: number): Principal | null {
    const hit = this.#cache.get(token);
    if (hit === undefined) return null;
    const seconds = now / 1000;
    const fresh =
      now - hit.verifiedAt < CACHE_REVERIFY_MS &&
      seconds < hit.exp &&
      (hit.nbf === undefined || seconds >= hit.nbf) &&
      seconds - hit.iat <= this.#identity.maxTokenAgeSeconds;
    if (!fresh) {
      this.#cache.delete(token);
      return null;
    }
    return hit.principal;
  }

  /**
   * The principal of a token verified recently and still fresh (the cache's rule), without
   * waiting: null when the token would have to be verified (unknown, stale, or malformed).
   */
  recentlyVerified(token: string): Principal | null {
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return null;
    return this.#fresh(token, this.#clock.now());
  }

  /** Verified-token cache counters (for metrics and tests). */
  cacheStats(): { hits: number; misses: number; size: number } {
    return { ...this.#cacheStats, size: this.#cache.size };
  }

  #remember(token: string, principal: Principal, payload: JWTPayload, now: number): Principal {
    const frozen = Object.freeze({ ...principal, roles: Object.freeze([...principal.roles]), delegation: Object.freeze([...principal.delegation]) }) as Principal;
    if (this.#cacheSize === 0) return frozen;
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(token, {
      principal: frozen,
      exp: payload.exp as number,
      iat: payload.iat as number,
      nbf: typeof payload.nbf === 'number' ? payload.nbf : undefined,
      verifiedAt: now,
    });
    return frozen;
  }

  /** Verifies a compact JWS token. Throws a 401 AirlockError (ERR_IDENTITY_*) on any failure. */
  async verify(token: string): Promise<Principal> {
    if (typeof token !== 'string' || token === '') throw identityError('ERR_IDENTITY_MISSING', 'token is required');
    if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
      throw identityError('ERR_IDENTITY_MALFORMED', 'token is not a compact jws');
    }
    const now = this.#clock.now();
    const cached = this.#cached(token, now);
    if (cached !== null) return cached;
    const { alg, typ, iss } = unverifiedParts(token);
    if (alg.toLowerCase() === 'none') throw identityError('ERR_IDENTITY_ALGORITHM', 'unsigned tokens are refused');
    if (typeof iss !== 'string' || iss === '') throw identityError('ERR_IDENTITY_ISSUER', 'token has no issuer');
    const trusted = this.#issuers.get(iss);
    if (trusted === undefined) throw identityError('ERR_IDENTITY_ISSUER', 'token issuer is not trusted');
    const algorithms: readonly string[] = trusted.config.algorithms;
    if (!algorithms.includes(alg)) {
      throw identityError('ERR_IDENTITY_ALGORITHM', 'token algorithm is not allowed for its issuer');
    }
    if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYP.has(typ.toLowerCase()))) {
      throw identityError('ERR_IDENTITY_CLAIMS', 'token type is not an access token');
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await verifyWithCandidates(token, trusted.key, {
        algorithms: [...algorithms],
        issuer: trusted.config.issuer,
        audience: this.#identity.audience,
        clockTolerance: this.#identity.clockSkewSeconds,
        maxTokenAge: this.#identity.maxTokenAgeSeconds,
        currentDate: new Date(now),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      throw fromJoseError(err);
    }
    const { exp, iat } = payload as { exp: number; iat: number };
    if (exp - iat > this.#identity.maxTokenAgeSeconds) {
      throw identityError('ERR_IDENTITY_CLAIMS', `token lifetime exceeds ${this.#identity.maxTokenAgeSeconds} seconds`);
    }
    return this.#remember(token, principalFromClaims(payload as Record<string, unknown>, trusted.config), payload, now);
  }
}
