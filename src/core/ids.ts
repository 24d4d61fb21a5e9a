/**
 * Identifiers. Every id is `<prefix>_<random>`: unguessable (128 bits from the CSPRNG),
 * URL-safe, and self-describing in logs (`req_`, `ses_`, `act_`, `dec_`, `apr_`, `evt_`).
 * Random bytes are drawn from the CSPRNG in pooled blocks (one system call per 256 ids),
 * each byte used once.
 */
import { randomFillSync } from 'node:crypto';

export type IdPrefix = 'req' | 'ses' | 'act' | 'dec' | 'apr' | 'evt' | 'trc' | 'jti' | 'cred' | 'ovr' | 'mem' | 'cnt' | 'ctx' | 'ksw' | 'rpl' | 'idm' | 'out';

const ID_BYTES = 16;
const POOL = Buffer.alloc(ID_BYTES * 256);
let offset = POOL.length;

/** 128 fresh bits from the pool, base64url (22 characters). */
function randomPart(): string {
  if (offset + ID_BYTES > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const id = POOL.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomPart()}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The last time part written: ids minted in the same millisecond share it (one per call under load). */
let lastMs = -1;
let lastPart = '';

/** Milliseconds as 10 Crockford base-32 digits (sorts as the time does until the year 10889). */
function timePart(ms: number): string {
  let n = Math.max(0, Math.floor(ms));
  if (n === lastMs) return lastPart;
  const key = n;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = (CROCKFORD[n % 32] as string) + out;
    n = Math.floor(n / 32);
  }
  lastMs = key;
  lastPart = out;
  return out;
}

/**
 * `<prefix>_<time><random>`: 10 base-32 digits of the time in milliseconds, then 128 random
 * bits. For ids written to indexed storage at high rates (requests, actions, events): the
 * index only grows at its end, and the random part keeps the id unguessable.
 */
export function newTimeOrderedId(prefix: IdPrefix, ms: number = Date.now()): string {
  return `${prefix}_${timePart(ms)}${randomPart()}`;
}

const ID_PATTERN = /^[a-z]{2,5}_[A-Za-z0-9_-]{8,64}$/;

/** True for strings shaped like an Airlock id (used to validate ids arriving from outside). */
export function isWellFormedId(value: unknown, prefix?: IdPrefix): value is string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) return false;
  return prefix === undefined || value.startsWith(`${prefix}_`);
}
