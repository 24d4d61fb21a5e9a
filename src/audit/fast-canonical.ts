/**
 * Canonical JSON for the audit hot path (every event is canonicalized once at append and once
 * per verification): core `canonicalize`, whose plain cases take a short route (see
 * src/core/canonical.ts), under the names the audit modules use.
 */
import { canonicalHash, canonicalize, canonicalString } from '../core/canonical.ts';

/** Same text as core `canonicalize` (and the same ERR_CANONICAL_UNSUPPORTED refusals). */
export function canonicalJson(value: unknown): string {
  return canonicalize(value);
}

/** Same as core `canonicalHash`. */
export function canonicalJsonHash(value: unknown): string {
  return canonicalHash(value);
}

/** Canonical text of a JSON string key (exported for building event bodies member by member). */
export function canonicalKey(key: string): string {
  return canonicalString(key);
}
