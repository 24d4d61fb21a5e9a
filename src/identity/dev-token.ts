/**
 * Minting HS256 tokens for development and tests (`airlock token` in the CLI). Refuses any
 * issuer that is not HS256: asymmetric issuers get their tokens from a real identity provider.
 */
import { SignJWT } from 'jose';
import { AirlockError } from '../core/errors.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { IssuerConfig } from '../config/types.ts';
import { MIN_HS256_SECRET_BYTES } from './keys.ts';

export interface DevTokenClaims {
  sub: string;
  tenant: string;
  roles: string[];
  /** Acting agent, written as RFC 8693 `act: { sub }`. */
  agent?: string;
  ttlSeconds: number;
  /** Written as `sid`. */
  sessionId?: string;
}

function refuse(message: string): never {
  throw new AirlockError('ERR_IDENTITY_DEV_TOKEN', message, { status: 400 });
}

/** Signs an HS256 access token for `issuer` and `audience` with the issuer's shared secret. */
export async function mintDevToken(
  issuer: IssuerConfig,
  audience: string,
  key: Uint8Array,
  claims: DevTokenClaims,
  clock: Clock = systemClock,
): Promise<string> {
  if (!issuer.algorithms.includes('HS256')) {
    refuse(`dev tokens can only be minted for an HS256 issuer; issuer ${issuer.issuer} uses ${issuer.algorithms.join(', ')}`);
  }
  if (key.byteLength < MIN_HS256_SECRET_BYTES) refuse(`hs256 key must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
  if (!Number.isInteger(claims.ttlSeconds) || claims.ttlSeconds <= 0) refuse('ttlSeconds must be a positive integer');
  if (claims.sub === '' || claims.tenant === '') refuse('sub and tenant must not be empty');

  const iat = Math.floor(clock.now() / 1000);
  const payload: Record<string, unknown> = {
    [issuer.tenantClaim]: claims.tenant,
    [issuer.rolesClaim]: [...claims.roles],
  };
  if (claims.agent !== undefined) payload.act = { sub: claims.agent };
  if (claims.sessionId !== undefined) payload.sid = claims.sessionId;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer.issuer)
    .setAudience(audience)
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + claims.ttlSeconds)
    .setJti(newId('jti'))
    .sign(key);
}
