/**
 * HS256 signing of the broker's credentials (RFC 7515 compact JWS, RFC 7519 claims) with a
 * node:crypto KeyObject, synchronously: the same bytes jose's SignJWT produces for the same
 * header and claims, without a WebCrypto job per credential (which cost about a tenth of
 * /v1/decide's CPU). Verification stays with jose (credentials/verifier.ts).
 */
import { createHmac, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The signing key, made once from the raw secret. */
export function hs256Key(secret: Uint8Array): KeyObject {
  return createSecretKey(secret);
}

function segment(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** `header` must name alg HS256; claims are written in their insertion order, as jose does. */
export function signHs256(header: { alg: 'HS256'; typ?: string }, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}
