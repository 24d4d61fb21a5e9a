/**
 * Approval tokens: HS256 JWTs bound to one approved request and its exact action hash.
 * Minting is deterministic for a request (same claims, same key, same token), so the token
 * itself is never stored; only its `jti` is recorded on the request.
 */
import { SignJWT, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { ApprovalRequest } from './types.ts';
import { approvalError } from './errors.ts';

export const APPROVAL_AUDIENCE = 'airlock-approval';
export const APPROVAL_ISSUER = 'airlock';

export interface ApprovalTokenClaims {
  jti: string;
  /** Request id. */
  apr: string;
  /** Action hash the approval covers. */
  ah: string;
  /** Requesting user. */
  sub: string;
  tenant: string;
  /** Epoch seconds; never later than the request's expiry. */
  exp: number;
}

/** Mints the token of an approved request (requires `token_jti` and `decided_at`). */
export async function mintApprovalToken(request: ApprovalRequest, key: Uint8Array): Promise<string> {
  if (request.token_jti === undefined || request.decided_at === undefined) {
    throw approvalError('ERR_APPROVAL_NOT_APPROVED', { state: request.state });
  }
  return new SignJWT({ apr: request.id, ah: request.action_hash, tenant: request.tenant })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(APPROVAL_ISSUER)
    .setAudience(APPROVAL_AUDIENCE)
    .setSubject(request.requester.user)
    .setJti(request.token_jti)
    .setIssuedAt(Math.floor(request.decided_at / 1000))
    .setExpirationTime(Math.floor(request.expires_at / 1000))
    .sign(key);
}

/**
 * Verifies signature, algorithm, issuer, audience and expiry at `nowMs`. An expired token
 * throws ERR_APPROVAL_EXPIRED (with the verified request id in details); anything else
 * that fails throws ERR_APPROVAL_TOKEN_INVALID.
 */
export async function verifyApprovalToken(token: string, key: Uint8Array, nowMs: number): Promise<ApprovalTokenClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: APPROVAL_ISSUER,
      audience: APPROVAL_AUDIENCE,
      currentDate: new Date(nowMs),
      requiredClaims: ['jti', 'exp', 'sub'],
    }));
  } catch (cause) {
    if (cause instanceof errors.JWTExpired) {
      const apr = cause.payload['apr'];
      throw approvalError('ERR_APPROVAL_EXPIRED', typeof apr === 'string' ? { approval_id: apr } : undefined);
    }
    throw approvalError('ERR_APPROVAL_TOKEN_INVALID', undefined, cause);
  }
  const { jti, sub, exp } = payload;
  const { apr, ah, tenant } = payload as Record<string, unknown>;
  if (
    typeof jti !== 'string' || typeof sub !== 'string' || typeof exp !== 'number' ||
    typeof apr !== 'string' || typeof ah !== 'string' || typeof tenant !== 'string'
  ) {
    throw approvalError('ERR_APPROVAL_TOKEN_INVALID');
  }
  return { jti, sub, exp, apr, ah, tenant };
}
