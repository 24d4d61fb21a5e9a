/**
 * How a revocation target becomes a store key, and the covering rule every adapter applies
 * (a jti revocation covers that credential; a wide one covers credentials issued at or
 * before it).
 */
import type { RevocationEntry, RevocationSubject, RevocationTarget } from './types.ts';

/** A stable, unambiguous key for one target (user ids are only unique inside a tenant). */
export function targetKey(target: RevocationTarget): string {
  switch (target.kind) {
    case 'jti':
      return target.jti;
    case 'user':
      return JSON.stringify([target.tenant, target.user]);
    case 'tenant':
      return target.tenant;
    case 'connector':
      return target.audience;
  }
}

/** The four targets that could cover one presented credential, jti first. */
export function candidateTargets(subject: RevocationSubject): RevocationTarget[] {
  return [
    { kind: 'jti', jti: subject.jti },
    { kind: 'user', tenant: subject.tenant, user: subject.user },
    { kind: 'tenant', tenant: subject.tenant },
    { kind: 'connector', audience: subject.audience },
  ];
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
