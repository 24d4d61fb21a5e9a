/**
 * From a verified JWT payload to a Principal: `sub`, the tenant and roles claims named by
 * the issuer's config, the RFC 8693 `act` delegation chain, `sid` and `jti`. Claims with
 * the wrong shape (not a string, too long, control characters, not well-formed Unicode)
 * refuse the token; nothing is guessed or defaulted except empty roles.
 */
import type { Principal } from '../core/types.ts';
import type { IssuerConfig } from '../config/types.ts';
import { identityError } from './errors.ts';

/** Deepest `act` nesting accepted. */
export const MAX_DELEGATION_DEPTH = 8;
const MAX_IDENTIFIER_LENGTH = 256;
const MAX_ROLES = 64;

const CONTROL = /[\u0000-\u001f\u007f]/;

type Claims = Record<string, unknown>;

function isRecord(value: unknown): value is Claims {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A claim by exact name, or by dotted path into nested objects (`realm_access.roles`). */
export function readClaim(payload: Claims, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  if (!name.includes('.')) return undefined;
  let current: unknown = payload;
  for (const part of name.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function identifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw identityError('ERR_IDENTITY_CLAIMS', `token ${what} must be a non-empty string`);
  }
  if (value.length > MAX_IDENTIFIER_LENGTH || CONTROL.test(value)) {
    throw identityError('ERR_IDENTITY_CLAIMS', `token ${what} is too long or contains control characters`);
  }
  if (!value.isWellFormed()) {
    // A lone surrogate cannot be recorded, hashed or stored as UTF-8: such a principal could act unaudited.
    throw identityError('ERR_IDENTITY_CLAIMS', `token ${what} is not well-formed unicode`);
  }
  return value;
}

function roles(value: unknown, claim: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_ROLES) {
    throw identityError('ERR_IDENTITY_CLAIMS', `token ${claim} claim must be an array of strings`);
  }
  const out: string[] = [];
  for (const role of value) {
    if (typeof role !== 'string') {
      throw identityError('ERR_IDENTITY_CLAIMS', `token ${claim} claim must be an array of strings`);
    }
    const checked = identifier(role, `${claim} entry`);
    if (!out.includes(checked)) out.push(checked);
  }
  return out;
}

/** `act.sub`, `act.act.sub`, ... outermost (current) actor first. */
function delegation(value: unknown): string[] {
  const chain: string[] = [];
  let current = value;
  while (current !== undefined) {
    if (!isRecord(current)) throw identityError('ERR_IDENTITY_CLAIMS', 'token act claim must be an object');
    if (chain.length >= MAX_DELEGATION_DEPTH) {
      throw identityError('ERR_IDENTITY_CLAIMS', `token delegation chain is deeper than ${MAX_DELEGATION_DEPTH}`);
    }
    chain.push(identifier(current.sub, 'act.sub'));
    current = current.act;
  }
  return chain;
}

function optionalString(payload: Claims, claim: string): string | undefined {
  const value = payload[claim];
  return value === undefined ? undefined : identifier(value, `${claim} claim`);
}

/** Builds the Principal of a token whose signature and registered claims were already verified. */
export function principalFromClaims(payload: Claims, issuer: IssuerConfig): Principal {
  const user = identifier(payload.sub, 'sub claim');
  const tenantValue = readClaim(payload, issuer.tenantClaim);
  if (tenantValue === undefined) {
    throw identityError('ERR_IDENTITY_CLAIMS', `token has no ${issuer.tenantClaim} claim`);
  }
  const tenant = identifier(tenantValue, `${issuer.tenantClaim} claim`);
  if (tenant.includes('/')) {
    // Cedar principals are `<tenant>/<sub>`: a slash in the tenant would make them ambiguous.
    throw identityError('ERR_IDENTITY_CLAIMS', `token ${issuer.tenantClaim} claim must not contain "/"`);
  }
  if (issuer.tenants !== undefined && !issuer.tenants.includes(tenant)) {
    // The issuer is trusted for its own tenants only: it cannot speak for another one.
    throw identityError('ERR_IDENTITY_TENANT', `issuer ${issuer.issuer} is not trusted for this tenant`);
  }
  const chain = delegation(payload.act);
  const principal: Principal = {
    user,
    tenant,
    roles: roles(readClaim(payload, issuer.rolesClaim), issuer.rolesClaim),
    delegation: chain,
    issuer: issuer.issuer,
  };
  if (chain[0] !== undefined) principal.agent = chain[0];
  const sid = optionalString(payload, 'sid');
  if (sid !== undefined) principal.tokenSession = sid;
  const jti = optionalString(payload, 'jti');
  if (jti !== undefined) principal.tokenId = jti;
  if (typeof payload.exp === 'number') principal.expiresAt = payload.exp;
  return principal;
}
