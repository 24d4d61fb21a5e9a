/**
 * Identifiers. Every id is `<prefix>_<random>`: unguessable (128 bits from the CSPRNG),
 * URL-safe, and self-describing in logs (`req_`, `ses_`, `act_`, `dec_`, `apr_`, `evt_`).
 */
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'req' | 'ses' | 'act' | 'dec' | 'apr' | 'evt' | 'trc' | 'jti' | 'cred' | 'ovr' | 'mem';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[A-Za-z0-9_-]{8,64}$/;

/** True for strings shaped like an Airlock id (used to validate ids arriving from outside). */
export function isWellFormedId(value: unknown, prefix?: IdPrefix): value is string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) return false;
  return prefix === undefined || value.startsWith(`${prefix}_`);
}
