/**
 * Identity errors: every refusal of a token is a 401 AirlockError with a stable code, and
 * jose's errors are mapped onto those codes here. Messages name the failed check, never
 * the token or its claim values.
 */
import { errors as jose } from 'jose';
import { AirlockError } from '../core/errors.ts';

export type IdentityErrorCode =
  | 'ERR_IDENTITY_MISSING'
  | 'ERR_IDENTITY_MALFORMED'
  | 'ERR_IDENTITY_EXPIRED'
  | 'ERR_IDENTITY_NOT_YET_VALID'
  | 'ERR_IDENTITY_ISSUER'
  | 'ERR_IDENTITY_AUDIENCE'
  | 'ERR_IDENTITY_ALGORITHM'
  | 'ERR_IDENTITY_SIGNATURE'
  | 'ERR_IDENTITY_CLAIMS'
  | 'ERR_IDENTITY_TENANT';

export function identityError(code: IdentityErrorCode, message: string, cause?: unknown): AirlockError {
  return new AirlockError(code, message, { status: 401, cause });
}

/** Key material could not be fetched (remote JWKS down): a fault on our side, still a refusal. */
export function keysUnavailable(cause: unknown): AirlockError {
  return new AirlockError('ERR_IDENTITY_KEYS_UNAVAILABLE', 'token signing keys are unavailable', { status: 503, cause });
}

/** Faults in the identity configuration (raised by TokenVerifier.create, never per request). */
export function identityConfigError(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_IDENTITY_CONFIG', message, { status: 500, cause });
}

/** Maps an error thrown by jose's jwtVerify to an AirlockError. */
export function fromJoseError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  if (err instanceof jose.JWTExpired) {
    return err.claim === 'iat'
      ? identityError('ERR_IDENTITY_EXPIRED', 'token was issued too long ago', err)
      : identityError('ERR_IDENTITY_EXPIRED', 'token has expired', err);
  }
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return identityError('ERR_IDENTITY_NOT_YET_VALID', 'token is not valid yet', err);
    if (err.claim === 'iat' && err.reason === 'check_failed') {
      return identityError('ERR_IDENTITY_NOT_YET_VALID', 'token was issued in the future', err);
    }
    if (err.claim === 'iss') return identityError('ERR_IDENTITY_ISSUER', 'token issuer does not match', err);
    if (err.claim === 'aud') {
      return err.reason === 'missing'
        ? identityError('ERR_IDENTITY_AUDIENCE', 'token has no audience', err)
        : identityError('ERR_IDENTITY_AUDIENCE', 'token audience does not match', err);
    }
    if (err.reason === 'missing') return identityError('ERR_IDENTITY_CLAIMS', `token has no ${err.claim} claim`, err);
    return identityError('ERR_IDENTITY_CLAIMS', `token ${err.claim} claim is invalid`, err);
  }
  if (err instanceof jose.JOSEAlgNotAllowed) {
    return identityError('ERR_IDENTITY_ALGORITHM', 'token algorithm is not allowed for its issuer', err);
  }
  if (err instanceof jose.JOSENotSupported) {
    return identityError('ERR_IDENTITY_ALGORITHM', 'token algorithm or key type is not supported', err);
  }
  if (err instanceof jose.JWSSignatureVerificationFailed) {
    return identityError('ERR_IDENTITY_SIGNATURE', 'token signature is invalid', err);
  }
  if (err instanceof jose.JWKSNoMatchingKey) {
    return identityError('ERR_IDENTITY_SIGNATURE', 'no trusted key matches the token', err);
  }
  if (err instanceof jose.JWSInvalid || err instanceof jose.JWTInvalid) {
    return identityError('ERR_IDENTITY_MALFORMED', 'token is malformed', err);
  }
  if (err instanceof jose.JWKSTimeout || err instanceof jose.JWKSInvalid || err instanceof jose.JWKInvalid) {
    return keysUnavailable(err);
  }
  if (err instanceof TypeError || (err instanceof Error && err.name === 'AbortError')) {
    // fetch failures of a remote JWKS surface as TypeError / AbortError.
    return keysUnavailable(err);
  }
  return identityError('ERR_IDENTITY_MALFORMED', 'token could not be verified', err);
}
