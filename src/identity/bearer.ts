/**
 * Reading the bearer token out of an `Authorization` header (RFC 6750 section 2.1).
 */
import { identityError } from './errors.ts';

/** Longest token accepted, in characters. Larger values are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** The token of a `Bearer <token>` header. Throws ERR_IDENTITY_MISSING / ERR_IDENTITY_MALFORMED. */
export function parseBearer(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw identityError('ERR_IDENTITY_MISSING', 'authorization header with a bearer token is required');
  }
  if (header.length > MAX_TOKEN_LENGTH + 16) {
    throw identityError('ERR_IDENTITY_MALFORMED', 'authorization header is too long');
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw identityError('ERR_IDENTITY_MALFORMED', 'authorization header must be "Bearer <token>"');
  }
  return token;
}
