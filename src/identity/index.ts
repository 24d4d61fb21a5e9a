/**
 * Public surface of the identity module: bearer parsing, token verification into a
 * Principal, dev token minting, and detection of identity claims in request content.
 */
export { parseBearer, MAX_TOKEN_LENGTH } from './bearer.ts';
export { TokenVerifier, type TokenVerifierOptions } from './verifier.ts';
export { mintDevToken, type DevTokenClaims } from './dev-token.ts';
export { findIdentityMismatches, type IdentityMismatch } from './mismatch.ts';
export { principalFromClaims, readClaim, MAX_DELEGATION_DEPTH } from './claims.ts';
export type { SecretResolver } from './keys.ts';
export type { IdentityErrorCode } from './errors.ts';
