/** Credentials: just-in-time, action-bound credentials for connectors, their revocation, one-time use records, and the upstream verifier. */
export {
  CredentialBroker,
  MintedCredential,
  credentialRecord,
  CREDENTIAL_TYP,
  DEFAULT_CREDENTIAL_TTL_SECONDS,
  type CredentialBrokerOptions,
} from './broker.ts';
export { argumentsHash, checkBinding, type BindingMismatch, type CredentialBinding } from './binding.ts';
export { createCredentialVerifier, type CredentialVerifier, type CredentialVerifierOptions, type VerifyOptions } from './verifier.ts';
export {
  createCredentialMiddleware,
  createHonoCredentialMiddleware,
  verifiedCredential,
  DEFAULT_CREDENTIAL_HEADER,
  type CredentialMiddlewareOptions,
} from './middleware.ts';
export { MemoryRevocationStore } from './memory-revocations.ts';
export { MemoryCredentialUseStore, DEFAULT_MAX_TRACKED_CREDENTIALS } from './memory-credential-uses.ts';
export type { CredentialErrorCode } from './errors.ts';
export type {
  CredentialClaims,
  CredentialRecord,
  CredentialResource,
  CredentialUseStore,
  MintRequest,
  RevocationEntry,
  RevocationStore,
  RevocationSubject,
  RevocationTarget,
} from './types.ts';
