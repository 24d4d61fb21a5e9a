/**
 * How a revocation target becomes a stored row (a row kind and a key), which rows could cover
 * one presented credential, and the covering rule every adapter applies (a jti revocation
 * covers that credential; every other one covers credentials issued at or before it).
 *
 * Row kinds are the target kinds, except a tenant-confined connector revocation, which is its
 * own row kind (`tenant_connector`) so its key never collides with a fleet-wide connector's
 * (whose key is the bare audience, as stored before confined ones existed).
 */
import type { RevocationEntry, RevocationSubject, RevocationTarget } from './types.ts';

/** The kind column of a stored revocation. */
export type RevocationRowKind = RevocationTarget['kind'] | 'tenant_connector';

/** Every row kind, in the order a check prefers a covering entry (jti first). */
export const ROW_KINDS: readonly RevocationRowKind[] = [
  'jti',
  'user',
  'tenant',
  'connector',
  'tenant_connector',
  'agent',
  'tool',
  'session',
  'global',
];

/** The key of the `global` row (there is one). */
export const GLOBAL_KEY = '*';

/** The row kind a target is stored under. */
export function rowKind(target: RevocationTarget): RevocationRowKind {
  return target.kind === 'connector' && target.tenant !== undefined ? 'tenant_connector' : target.kind;
}

/**
 * A stable, unambiguous key for one target within its row kind (user ids are only unique
 * inside a tenant; a null tenant — every tenant — is kept apart from any tenant id).
 */
export function targetKey(target: RevocationTarget): string {
  switch (target.kind) {
    case 'jti':
      return target.jti;
    case 'user':
      return JSON.stringify([target.tenant, target.user]);
    case 'tenant':
      return target.tenant;
    case 'connector':
      return target.tenant === undefined ? target.audience : JSON.stringify([target.tenant, target.audience]);
    case 'agent':
      return JSON.stringify([target.tenant, target.agent]);
    case 'tool':
      return JSON.stringify([target.tenant, target.tool]);
    case 'session':
      return JSON.stringify([target.tenant, target.session]);
    case 'global':
      return GLOBAL_KEY;
  }
}

/** The targets that could cover one presented credential, jti first (agent / tool / session only when it names one). */
export function candidateTargets(subject: RevocationSubject): RevocationTarget[] {
  const { tenant } = subject;
  const targets: RevocationTarget[] = [
    { kind: 'jti', jti: subject.jti },
    { kind: 'user', tenant, user: subject.user },
    { kind: 'tenant', tenant },
    { kind: 'connector', audience: subject.audience },
    { kind: 'connector', audience: subject.audience, tenant },
  ];
  if (subject.agent !== null) targets.push({ kind: 'agent', tenant, agent: subject.agent }, { kind: 'agent', tenant: null, agent: subject.agent });
  if (subject.tool !== null) targets.push({ kind: 'tool', tenant, tool: subject.tool }, { kind: 'tool', tenant: null, tool: subject.tool });
  if (subject.session !== null) {
    targets.push({ kind: 'session', tenant, session: subject.session }, { kind: 'session', tenant: null, session: subject.session });
  }
  targets.push({ kind: 'global' });
  return targets;
}

/** Row kinds of `candidateRows`, position by position (a fixed list, so SQL adapters prepare one query). */
export const CANDIDATE_ROW_KINDS: readonly RevocationRowKind[] = [
  'jti',
  'user',
  'tenant',
  'connector',
  'tenant_connector',
  'agent',
  'agent',
  'tool',
  'tool',
  'session',
  'session',
  'global',
];

/**
 * The keys of the rows that could cover the subject, one per `CANDIDATE_ROW_KINDS` position;
 * null where the credential lacks the claim (an SQL `key = NULL` matches no row).
 */
export function candidateRowKeys(subject: RevocationSubject): Array<string | null> {
  const { tenant } = subject;
  const pair = (scope: string | null, id: string | null): string | null => (id === null ? null : JSON.stringify([scope, id]));
  return [
    subject.jti,
    JSON.stringify([tenant, subject.user]),
    tenant,
    subject.audience,
    JSON.stringify([tenant, subject.audience]),
    pair(tenant, subject.agent),
    pair(null, subject.agent),
    pair(tenant, subject.tool),
    pair(null, subject.tool),
    pair(tenant, subject.session),
    pair(null, subject.session),
    GLOBAL_KEY,
  ];
}

/**
 * The WHERE condition finding covering rows, for SQL adapters: `key(i)` renders the i-th
 * candidate key's placeholder (0 is the jti), `issuedAtMs` the placeholder of the subject's
 * `issuedAt * 1000`. Built from constants only (row kinds are never user input).
 */
export function coveringCondition(key: (i: number) => string, issuedAtMs: string): string {
  const wide = CANDIDATE_ROW_KINDS.slice(1)
    .map((kind, i) => `(kind = '${kind}' AND key = ${key(i + 1)})`)
    .join('\n      OR ');
  return `(kind = 'jti' AND key = ${key(0)})\n   OR (revoked_at >= ${issuedAtMs} AND (${wide}))`;
}

export function covers(entry: RevocationEntry, subject: RevocationSubject): boolean {
  return entry.target.kind === 'jti' || subject.issuedAt * 1000 <= entry.revokedAt;
}

/** The later of two entries for the same target: a revocation never shrinks. */
export function mergeEntries(existing: RevocationEntry | undefined, next: RevocationEntry): RevocationEntry {
  if (existing === undefined) return next;
  return {
    target: existing.target,
    revokedAt: Math.max(existing.revokedAt, next.revokedAt),
    expiresAt: Math.max(existing.expiresAt, next.expiresAt),
  };
}
