/**
 * What an idempotency key is bound to. The scope (uniqueness key) is the key together with
 * the verified caller: tenant, issuer, user and acting agent — so one tenant's key never
 * reaches another tenant's record, two users (or two agents of one user) choosing the same
 * key never see each other's results, and a replay only ever hands a result back to the
 * principal it was produced for. The session is not part of it: a runtime that retries in a
 * new session after a crash still finds its record. The fingerprint is what the key was used
 * for: the tool, its normalized arguments and its target (not the tool version or the policy
 * version: a retry across a deploy is the same action).
 */
import { canonicalHash } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { IdempotencyOwner } from './types.ts';

export const MAX_KEY_CHARS = 255;
/** C0 and C1 control characters and DEL. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_CHARS && !CONTROL.test(key) && key.isWellFormed();
}

export function scopeOf(owner: IdempotencyOwner, key: string): string {
  return canonicalHash({ tenant: owner.tenant, issuer: owner.issuer, user: owner.user, agent: owner.agent, key });
}

export function fingerprintOf(action: { tool: string; arguments: Record<string, JsonValue>; resource: { type: string | null; id: string | null } }): string {
  return canonicalHash({ tool: action.tool, arguments: action.arguments, resource: action.resource });
}
