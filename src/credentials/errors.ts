/**
 * Credential errors: every refusal is an AirlockError with a stable `ERR_CREDENTIAL_*` code
 * and an HTTP status (401 not a usable credential, 403 a valid credential for something
 * else, 503 cannot tell). Messages name the failed check, never a token, claim value or key.
 * jose's errors are mapped here and are not attached as `cause` (they can carry the payload).
 */
import { errors as jose } from 'jose';
import { AirlockError } from '../core/errors.ts';

export type CredentialErrorCode =
  | 'ERR_CREDENTIAL_MISSING'
  | 'ERR_CREDENTIAL_MALFORMED'
  | 'ERR_CREDENTIAL_SIGNATURE'
  | 'ERR_CREDENTIAL_EXPIRED'
  | 'ERR_CREDENTIAL_NOT_YET_VALID'
  | 'ERR_CREDENTIAL_ISSUER'
  | 'ERR_CREDENTIAL_AUDIENCE'
  | 'ERR_CREDENTIAL_SCOPE'
  | 'ERR_CREDENTIAL_ACTION_MISMATCH'
  | 'ERR_CREDENTIAL_TARGET_MISMATCH'
  | 'ERR_CREDENTIAL_REVOKED'
  | 'ERR_CREDENTIAL_REPLAYED'
  | 'ERR_CREDENTIAL_UNAVAILABLE'
  | 'ERR_CREDENTIAL_REQUEST'
  | 'ERR_CREDENTIAL_CONFIG';

const STATUS: Record<CredentialErrorCode, number> = {
  ERR_CREDENTIAL_MISSING: 401,
  ERR_CREDENTIAL_MALFORMED: 401,
  ERR_CREDENTIAL_SIGNATURE: 401,
  ERR_CREDENTIAL_EXPIRED: 401,
  ERR_CREDENTIAL_NOT_YET_VALID: 401,
  ERR_CREDENTIAL_ISSUER: 401,
  ERR_CREDENTIAL_AUDIENCE: 403,
  ERR_CREDENTIAL_SCOPE: 403,
  ERR_CREDENTIAL_ACTION_MISMATCH: 403,
  ERR_CREDENTIAL_TARGET_MISMATCH: 403,
  ERR_CREDENTIAL_REVOKED: 401,
  ERR_CREDENTIAL_REPLAYED: 401,
  ERR_CREDENTIAL_UNAVAILABLE: 503,
  ERR_CREDENTIAL_REQUEST: 500,
  ERR_CREDENTIAL_CONFIG: 500,
};

export function credentialError(
  code: CredentialErrorCode,
  message: string,
  options: { details?: Record<string, unknown>; cause?: unknown } = {},
): AirlockError {
  return new AirlockError(code, message, { status: STATUS[code], ...options });
}

/** Maps an error thrown by jose's jwtVerify; only jose's own error code is kept. */
export function fromJoseError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  const details = err instanceof jose.JOSEError ? { reason: err.code } : undefined;
  const fail = (code: CredentialErrorCode, message: string): AirlockError =>
    credentialError(code, message, details === undefined ? {} : { details });
  if (err instanceof jose.JWTExpired) return fail('ERR_CREDENTIAL_EXPIRED', 'credential has expired');
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return fail('ERR_CREDENTIAL_AUDIENCE', 'credential is for another connector');
    if (err.claim === 'iss') return fail('ERR_CREDENTIAL_ISSUER', 'credential issuer does not match');
    if (err.claim === 'nbf' || err.claim === 'iat') return fail('ERR_CREDENTIAL_NOT_YET_VALID', 'credential is not valid yet');
    return fail('ERR_CREDENTIAL_MALFORMED', `credential ${err.claim} claim is missing or invalid`);
  }
  if (err instanceof jose.JWSSignatureVerificationFailed || err instanceof jose.JWKSNoMatchingKey) {
    return fail('ERR_CREDENTIAL_SIGNATURE', 'credential signature is invalid');
  }
  if (err instanceof jose.JOSEAlgNotAllowed || err instanceof jose.JOSENotSupported) {
    return fail('ERR_CREDENTIAL_SIGNATURE', 'credential algorithm is not allowed');
  }
  if (err instanceof jose.JWKSTimeout || err instanceof jose.JWKSInvalid) {
    return fail('ERR_CREDENTIAL_UNAVAILABLE', 'credential signing keys are unavailable');
  }
  return fail('ERR_CREDENTIAL_MALFORMED', 'credential is malformed');
}
