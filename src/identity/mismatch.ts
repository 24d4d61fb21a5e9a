/**
 * Finding identity claims in request content. Authority comes only from the verified
 * token; a body that names a different tenant, user, role or agent is not obeyed, but the
 * disagreement is worth recording (it is how confused-deputy and injection attempts show).
 */
import type { Principal } from '../core/types.ts';

export interface IdentityMismatch {
  /** Where the claim was found, e.g. `tenant_id` or `arguments.user`. */
  field: string;
  /** The value the content claimed (at most 64 characters). */
  claimed: string;
  /** What the verified principal says. */
  actual: string;
}

type Kind = 'tenant' | 'user' | 'roles' | 'agent';

/** Field names, compared case-insensitively with `_` and `-` ignored (`tenantId`, `TENANT-ID`). */
const FIELDS: Record<string, Kind> = {
  tenant: 'tenant',
  tenantid: 'tenant',
  org: 'tenant',
  organizationid: 'tenant',
  user: 'user',
  userid: 'user',
  sub: 'user',
  roles: 'roles',
  role: 'roles',
  agent: 'agent',
  agentid: 'agent',
};

/** Nested objects of the body that are searched too. */
const NESTED = ['arguments', 'intent'];

const MAX_CLAIMED = 64;

function kindOf(key: string): Kind | undefined {
  const normalized = key.toLowerCase().replace(/[_-]/g, '');
  return Object.hasOwn(FIELDS, normalized) ? FIELDS[normalized] : undefined;
}

function truncate(value: string): string {
  const chars = Array.from(value);
  return chars.length <= MAX_CLAIMED ? value : chars.slice(0, MAX_CLAIMED).join('');
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserializable]';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function compare(kind: Kind, value: unknown, principal: Principal): { claimed: string; actual: string } | null {
  if (value === null || value === undefined) return null;
  if (kind === 'roles') {
    const claimed = Array.isArray(value) ? value : [value];
    const held = new Set(principal.roles);
    const disagrees = claimed.some((role) => typeof role !== 'string' || !held.has(role));
    return disagrees ? { claimed: asText(value) ?? '', actual: principal.roles.join(',') } : null;
  }
  const text = asText(value) ?? '';
  const actual = kind === 'tenant' ? principal.tenant : kind === 'user' ? principal.user : (principal.agent ?? '');
  return typeof value === 'object' || text !== actual ? { claimed: text, actual } : null;
}

function scan(object: Record<string, unknown>, prefix: string, principal: Principal, out: IdentityMismatch[]): void {
  for (const [key, value] of Object.entries(object)) {
    const kind = kindOf(key);
    if (kind === undefined) continue;
    const found = compare(kind, value, principal);
    if (found !== null) out.push({ field: `${prefix}${key}`, claimed: truncate(found.claimed), actual: found.actual });
  }
}

/**
 * Identity-like fields at the top level of a request body and inside its `arguments` /
 * `intent` objects whose values disagree with the verified principal.
 */
export function findIdentityMismatches(principal: Principal, body: unknown): IdentityMismatch[] {
  const out: IdentityMismatch[] = [];
  if (!isRecord(body)) return out;
  scan(body, '', principal, out);
  for (const name of NESTED) {
    const nested = body[name];
    if (isRecord(nested)) scan(nested, `${name}.`, principal, out);
  }
  return out;
}
