/**
 * Verification keys per issuer: the HS256 shared secret (resolved by the caller from its
 * secret reference), a local JWKS file, or a remote JWKS URL. Checks the key material is
 * fit for verifying (secret length, public keys only) so a bad setup fails at startup.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { IssuerConfig } from '../config/types.ts';
import { AirlockError } from '../core/errors.ts';
import { identityConfigError } from './errors.ts';

export type SecretResolver = (ref: string, createIfMissing: boolean) => Promise<Uint8Array>;

export type VerificationKey = Uint8Array | JWTVerifyGetKey;

/** RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

const ASYMMETRIC = ['RS256', 'ES256', 'EdDSA'] as const;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function checkPublicOnly(jwks: unknown, issuer: string): JSONWebKeySet {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw identityConfigError(`jwks for issuer ${issuer} must have a non-empty "keys" array`);
  }
  for (const key of keys) {
    const k = key as Record<string, unknown> | null;
    if (k === null || typeof k !== 'object') throw identityConfigError(`jwks for issuer ${issuer} holds a non-object key`);
    if (k.kty === 'oct' || 'd' in k || 'k' in k) {
      throw identityConfigError(`jwks for issuer ${issuer} must hold public keys only (found private or symmetric key material)`);
    }
  }
  return jwks as JSONWebKeySet;
}

/**
 * The text of a local JWKS file, through one descriptor (the mode checked is the mode of the
 * file read): a regular file that not every user may write — whoever can replace the public
 * keys can sign tokens for any user, tenant and role.
 */
async function readKeyFile(path: string, issuer: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw identityConfigError(`jwks file ${path} for issuer ${issuer} is not a regular file`);
    if ((info.mode & 0o002) !== 0) {
      throw identityConfigError(`jwks file ${path} for issuer ${issuer} is writable by every user (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}): chmod 644 it`);
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function localJwks(issuer: IssuerConfig, baseDir: string): Promise<JWTVerifyGetKey> {
  const path = isAbsolute(issuer.jwksFile ?? '') ? (issuer.jwksFile as string) : resolve(baseDir, issuer.jwksFile ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readKeyFile(path, issuer.issuer));
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw identityConfigError(`jwks file ${path} for issuer ${issuer.issuer} cannot be read as json`, err);
  }
  const jwks = checkPublicOnly(parsed, issuer.issuer);
  try {
    return createLocalJWKSet(jwks);
  } catch (err) {
    throw identityConfigError(`jwks file ${path} for issuer ${issuer.issuer} is invalid`, err);
  }
}

function remoteJwks(issuer: IssuerConfig): JWTVerifyGetKey {
  let url: URL;
  try {
    url = new URL(issuer.jwksUrl ?? '');
  } catch (err) {
    throw identityConfigError(`jwks url for issuer ${issuer.issuer} is not a valid url`, err);
  }
  const plainOk = url.protocol === 'http:' && isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !plainOk) {
    throw identityConfigError(`jwks url for issuer ${issuer.issuer} must use https (http only on loopback)`);
  }
  return createRemoteJWKSet(url, { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
}

/** Checks an issuer's settings and loads its verification key. */
export async function loadIssuerKey(
  issuer: IssuerConfig,
  baseDir: string,
  resolveSecret: SecretResolver | undefined,
): Promise<VerificationKey> {
  const algorithms: readonly string[] = issuer.algorithms;
  if (algorithms.length === 0) throw identityConfigError(`issuer ${issuer.issuer} allows no algorithms`);
  const unknown = algorithms.filter((a) => a !== 'HS256' && !(ASYMMETRIC as readonly string[]).includes(a));
  if (unknown.length > 0) throw identityConfigError(`issuer ${issuer.issuer} lists unsupported algorithms`);
  const symmetric = algorithms.includes('HS256');
  const asymmetric = algorithms.some((a) => (ASYMMETRIC as readonly string[]).includes(a));
  if (symmetric && asymmetric) {
    throw identityConfigError(`issuer ${issuer.issuer} mixes HS256 with asymmetric algorithms`);
  }
  if (symmetric) {
    if (issuer.secret === undefined) throw identityConfigError(`issuer ${issuer.issuer} uses HS256 but has no secret`);
    if (resolveSecret === undefined) {
      throw identityConfigError(`issuer ${issuer.issuer} uses HS256 but no secret resolver was provided`);
    }
    const secret = await resolveSecret(issuer.secret, issuer.createSecretIfMissing === true);
    if (secret.byteLength < MIN_HS256_SECRET_BYTES) {
      throw identityConfigError(`hs256 secret of issuer ${issuer.issuer} must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
    }
    return secret;
  }
  if (issuer.jwksFile !== undefined && issuer.jwksUrl !== undefined) {
    throw identityConfigError(`issuer ${issuer.issuer} sets both jwks_file and jwks_url`);
  }
  if (issuer.jwksFile !== undefined) return localJwks(issuer, baseDir);
  if (issuer.jwksUrl !== undefined) return remoteJwks(issuer);
  throw identityConfigError(`issuer ${issuer.issuer} needs jwks_file or jwks_url`);
}
