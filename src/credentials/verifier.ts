/**
 * The verifier an upstream service runs on a credential it receives from a connector:
 * signature (HS256 key, or a key set for asymmetric deployments), `typ`, issuer, its own
 * audience, expiry, claim shapes, scope, the request binding (action hash, tool, target
 * resource, arguments hash — binding.ts), revocation (by jti, user, tenant, connector, acting
 * agent, tool, session or everything; a credential without `act`, `tool` or `sid` is simply
 * not reached by revocations of that kind) and — for one-time
 * credentials — replay, through a CredentialUseStore (in memory by default; a durable or
 * shared one survives restarts and spans replicas). Every refusal is a typed `ERR_CREDENTIAL_*` error; none of them
 * carries the token.
 */
import { jwtVerify } from 'jose';
import type { CryptoKey, JWTPayload, JWTVerifyGetKey, KeyObject } from 'jose';
import { systemClock, type Clock } from '../core/clock.ts';
import { isAirlockError } from '../core/errors.ts';
import { checkBinding, type CredentialBinding } from './binding.ts';
import { CREDENTIAL_TYP, MIN_KEY_BYTES, REVOCATION_MARGIN_MS } from './broker.ts';
import { credentialError, fromJoseError } from './errors.ts';
import { DEFAULT_MAX_TRACKED_CREDENTIALS, MemoryCredentialUseStore } from './memory-credential-uses.ts';
import { parseScope, scopeSatisfies } from './scope.ts';
import type { CredentialClaims, CredentialUseStore, RevocationStore } from './types.ts';

export interface CredentialVerifierOptions {
  /** The broker's HS256 key (or a public key when `algorithms` names an asymmetric one). */
  key?: Uint8Array | CryptoKey | KeyObject;
  /** A key set, e.g. jose's `createRemoteJWKSet(url)`; exclusive with `key`. */
  jwks?: JWTVerifyGetKey;
  /** Default `['HS256']` with a byte key, `['ES256', 'EdDSA', 'RS256', 'PS256']` otherwise. */
  algorithms?: string[];
  issuer: string;
  /** This upstream's connector id. */
  audience: string;
  revocations?: RevocationStore;
  clock?: Clock;
  /** Scope every credential must grant (space-separated tokens, all required). */
  requiredScope?: string;
  /** Each credential is accepted once; its jti is recorded in `uses` (until it expires and is purged). */
  oneTime?: boolean;
  /**
   * Where `oneTime` records uses. Default: a `MemoryCredentialUseStore` of this verifier
   * alone, forgotten on restart. Give a durable store (SQLite, PostgreSQL) so a one-time
   * credential stays used across restarts, or a shared one so it is used once across
   * replicas. Requires `oneTime`.
   */
  uses?: CredentialUseStore;
  /** Most jtis the default in-memory `uses` remembers (default 100,000); not with `uses`. */
  maxTrackedCredentials?: number;
  /**
   * Seconds of clock skew tolerated on `exp` / `iat` (default 0), at most 300: a revocation is
   * kept 5 minutes past the last moment a credential it covers can be valid, so a larger
   * tolerance would accept a revoked credential again once the revocation is purged.
   */
  clockToleranceSeconds?: number;
}

/**
 * Per-request checks: the binding (`actionHash` must equal `ah`, `tool` the `tool` claim,
 * `resource` the `res` claim, `tool` + `arguments` hash to `argh`) and extra scope.
 */
export interface VerifyOptions extends CredentialBinding {
  /** Scope this request needs, in addition to `requiredScope`. */
  scope?: string;
}

export interface CredentialVerifier {
  verify(token: string, options?: VerifyOptions): Promise<CredentialClaims>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 8192;
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'tenant', 'scope', 'ah'];

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function configError(message: string): never {
  throw credentialError('ERR_CREDENTIAL_CONFIG', message);
}

function requiredTokens(scope: string | undefined, what: string): string[] {
  if (scope === undefined) return [];
  const tokens = parseScope(scope);
  if (tokens === null) configError(`${what} must be space-separated scope tokens`);
  return tokens;
}

/** The optional target claims (`tool`, `res`, `argh`), or a refusal when one is present but ill-formed. */
function targetOf(tool: unknown, res: unknown, argh: unknown): Pick<CredentialClaims, 'tool' | 'res' | 'argh'> {
  const out: Pick<CredentialClaims, 'tool' | 'res' | 'argh'> = {};
  const malformed = () => credentialError('ERR_CREDENTIAL_MALFORMED', 'credential target claims are invalid');
  if (tool !== undefined) {
    if (!nonEmpty(tool)) throw malformed();
    out.tool = tool;
  }
  if (argh !== undefined) {
    if (!nonEmpty(argh)) throw malformed();
    out.argh = argh;
  }
  if (res !== undefined) {
    const { type, id } = (typeof res === 'object' && res !== null ? res : {}) as Record<string, unknown>;
    if (!nonEmpty(type) || (id !== null && typeof id !== 'string')) throw malformed();
    out.res = { type, id };
  }
  return out;
}

/** Narrows a verified payload to CredentialClaims, or refuses it as malformed. */
function toClaims(payload: JWTPayload): CredentialClaims {
  const { iss, aud, sub, jti, iat, exp, tenant, scope, ah, act, tool, res, argh, sid } = payload as Record<string, unknown>;
  const shaped =
    nonEmpty(iss) && nonEmpty(aud) && nonEmpty(sub) && nonEmpty(jti) && nonEmpty(tenant) && nonEmpty(ah) &&
    typeof scope === 'string' && Number.isSafeInteger(iat) && Number.isSafeInteger(exp);
  if (!shaped) throw credentialError('ERR_CREDENTIAL_MALFORMED', 'credential claims are missing or invalid');
  let actor: { sub: string } | undefined;
  if (act !== undefined) {
    const actSub = typeof act === 'object' && act !== null ? (act as Record<string, unknown>).sub : undefined;
    if (!nonEmpty(actSub)) throw credentialError('ERR_CREDENTIAL_MALFORMED', 'credential act claim is invalid');
    actor = { sub: actSub };
  }
  const claims: CredentialClaims = { iss, aud, sub, tenant, scope, ah, jti, iat: iat as number, exp: exp as number };
  if (actor !== undefined) claims.act = actor;
  // `sid` is present only for a call made in a session (and absent from credentials minted before it existed).
  if (sid !== undefined) {
    if (!nonEmpty(sid)) throw credentialError('ERR_CREDENTIAL_MALFORMED', 'credential sid claim is invalid');
    claims.sid = sid;
  }
  Object.assign(claims, targetOf(tool, res, argh));
  return claims;
}

/**
 * Records the one-time use, last of all checks (a refused presentation does not use the
 * credential up). A replay stays `ERR_CREDENTIAL_REPLAYED`; any other failure of the store is
 * `ERR_CREDENTIAL_UNAVAILABLE` (503): the credential is never accepted when the store cannot tell.
 */
async function recordUse(uses: CredentialUseStore, claims: CredentialClaims, tolerance: number, nowSeconds: number): Promise<void> {
  try {
    await uses.use(claims.jti, claims.exp + tolerance, nowSeconds);
  } catch (cause) {
    if (isAirlockError(cause) && (cause.code === 'ERR_CREDENTIAL_REPLAYED' || cause.code === 'ERR_CREDENTIAL_UNAVAILABLE')) throw cause;
    throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'one-time credential use cannot be recorded', { cause });
  }
}

export function createCredentialVerifier(options: CredentialVerifierOptions): CredentialVerifier {
  const { key, jwks } = options;
  if ((key === undefined) === (jwks === undefined)) configError('credential verifier needs exactly one of key or jwks');
  if (key instanceof Uint8Array && key.byteLength < MIN_KEY_BYTES) {
    configError(`credential verification key must be at least ${MIN_KEY_BYTES} bytes`);
  }
  if (!nonEmpty(options.issuer)) configError('credential verifier issuer must be a non-empty string');
  if (!nonEmpty(options.audience)) configError('credential verifier audience must be a non-empty string');
  const algorithms = options.algorithms ?? (key instanceof Uint8Array ? ['HS256'] : ['ES256', 'EdDSA', 'RS256', 'PS256']);
  if (algorithms.length === 0 || algorithms.some((a) => a.toLowerCase() === 'none')) {
    configError('credential verifier algorithms must be a non-empty list without none');
  }
  const baseScope = requiredTokens(options.requiredScope, 'required scope');
  const clock = options.clock ?? systemClock;
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= REVOCATION_MARGIN_MS / 1000)) {
    configError(`clock tolerance must be a number of seconds from 0 to ${REVOCATION_MARGIN_MS / 1000}`);
  }
  if (options.uses !== undefined && options.oneTime !== true) configError('a credential use store is only consulted with oneTime');
  if (options.uses !== undefined && options.maxTrackedCredentials !== undefined) {
    configError('max tracked credentials applies to the default in-memory use store, not to a given one');
  }
  const capacity = options.maxTrackedCredentials ?? DEFAULT_MAX_TRACKED_CREDENTIALS;
  if (!Number.isSafeInteger(capacity) || capacity < 1) configError('max tracked credentials must be a positive whole number');
  const uses = options.oneTime === true ? (options.uses ?? new MemoryCredentialUseStore(capacity)) : null;
  const keyBytes = key instanceof Uint8Array ? key.slice() : key;

  async function checkSignature(token: string, now: number): Promise<JWTPayload> {
    const verifyOptions = {
      algorithms,
      issuer: options.issuer,
      audience: options.audience,
      typ: CREDENTIAL_TYP,
      requiredClaims: REQUIRED_CLAIMS,
      currentDate: new Date(now),
      clockTolerance: tolerance,
    };
    try {
      const result =
        jwks !== undefined
          ? await jwtVerify(token, jwks, verifyOptions)
          : await jwtVerify(token, keyBytes as Uint8Array | CryptoKey | KeyObject, verifyOptions);
      return result.payload;
    } catch (err) {
      throw fromJoseError(err);
    }
  }

  return {
    async verify(token: string, verifyOptions: VerifyOptions = {}): Promise<CredentialClaims> {
      if (typeof token !== 'string' || token === '') {
        throw credentialError('ERR_CREDENTIAL_MISSING', 'no credential was presented');
      }
      if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
        throw credentialError('ERR_CREDENTIAL_MALFORMED', 'credential is malformed');
      }
      const now = clock.now();
      const nowSeconds = Math.floor(now / 1000);
      const claims = toClaims(await checkSignature(token, now));
      if (claims.iat > nowSeconds + tolerance) {
        throw credentialError('ERR_CREDENTIAL_NOT_YET_VALID', 'credential was issued in the future');
      }
      const granted = parseScope(claims.scope);
      const needed = [...baseScope, ...requiredTokens(verifyOptions.scope, 'requested scope')];
      if (granted === null || !scopeSatisfies(granted, needed)) {
        throw credentialError('ERR_CREDENTIAL_SCOPE', 'credential scope does not cover this request');
      }
      checkBinding(claims, verifyOptions);
      if (options.revocations !== undefined) {
        let revoked;
        try {
          revoked = await options.revocations.check({
            jti: claims.jti,
            user: claims.sub,
            tenant: claims.tenant,
            audience: claims.aud,
            agent: claims.act?.sub ?? null,
            tool: claims.tool ?? null,
            session: claims.sid ?? null,
            issuedAt: claims.iat,
          });
        } catch (cause) {
          throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'credential revocations cannot be checked', { cause });
        }
        if (revoked !== null) {
          throw credentialError('ERR_CREDENTIAL_REVOKED', `credential is revoked (by ${revoked.target.kind})`, {
            details: { revoked_by: revoked.target.kind },
          });
        }
      }
      if (uses !== null) await recordUse(uses, claims, tolerance, nowSeconds);
      return claims;
    },
  };
}
