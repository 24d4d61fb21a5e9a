/**
 * RevocationStore in PostgreSQL (migrations 0002, 0007): one row per revocation target (row
 * kind and key, see src/credentials/revocation-key.ts), shared by
 * every replica and upstream verifier pointed at the same schema. A revocation is one
 * upsert that keeps the later `revokedAt` and the later `expiresAt` (a revocation never
 * shrinks, whatever order replicas write in); a check is one indexed query. Every fault is
 * an `ERR_CREDENTIAL_UNAVAILABLE` (503) rejection: a check never answers "not revoked"
 * when it could not ask.
 */
import type { AirlockError } from '../../core/errors.ts';
import { credentialError } from '../../credentials/errors.ts';
import { candidateRowKeys, coveringCondition, covers, ROW_KINDS, rowKind, targetKey } from '../../credentials/revocation-key.ts';
import type { RevocationEntry, RevocationStore, RevocationSubject, RevocationTarget } from '../../credentials/types.ts';
import type { PostgresDatabase } from './database.ts';

// Each (kind, key) pair is a primary-key probe (a BitmapOr of index scans); the preferred
// covering entry first (jti, user, tenant, connector, ..., global: ROW_KINDS order).
const CHECK_SQL = `SELECT target, revoked_at, expires_at FROM credential_revocations
  WHERE ${coveringCondition((i) => `$${i + 2}`, '$1')}
  ORDER BY array_position(ARRAY[${ROW_KINDS.map((k) => `'${k}'`).join(', ')}]::text[], kind)
  LIMIT 1`;

function unavailable(cause: unknown, what: string): AirlockError {
  return credentialError('ERR_CREDENTIAL_UNAVAILABLE', what, { cause });
}

export class PostgresRevocationStore implements RevocationStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Stores the revocation, or widens the stored one for the same target (GREATEST of both
   * times), in one atomic statement. Resolves only after PostgreSQL committed it; a
   * rejection leaves the previous entry as it was (or, when the answer to the commit was
   * lost, possibly widened: re-revoking is idempotent).
   */
  async revoke(entry: RevocationEntry): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO credential_revocations (kind, key, target, revoked_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (kind, key) DO UPDATE SET
           revoked_at = GREATEST(credential_revocations.revoked_at, excluded.revoked_at),
           expires_at = GREATEST(credential_revocations.expires_at, excluded.expires_at)`,
        [rowKind(entry.target), targetKey(entry.target), JSON.stringify(entry.target), Math.trunc(entry.revokedAt), Math.trunc(entry.expiresAt)],
      );
    } catch (cause) {
      throw unavailable(cause, 'cannot store the revocation');
    }
  }

  /**
   * The entry covering the subject (jti first, then user, tenant, connector, tenant-confined
   * connector, agent, tool, session, global), or null when none does, read from committed
   * rows in one statement. Rejects when the database cannot be read.
   */
  async check(subject: RevocationSubject): Promise<RevocationEntry | null> {
    let rows: Array<{ target: string; revoked_at: string; expires_at: string }>;
    try {
      rows = await this.#db.query(CHECK_SQL, [subject.issuedAt * 1000, ...candidateRowKeys(subject)]);
    } catch (cause) {
      throw unavailable(cause, 'cannot read revocations');
    }
    const row = rows[0];
    if (row === undefined) return null;
    const entry: RevocationEntry = {
      target: JSON.parse(row.target) as RevocationTarget,
      revokedAt: Number(row.revoked_at),
      expiresAt: Number(row.expires_at),
    };
    return covers(entry, subject) ? entry : null;
  }

  /** Every entry revoked at or after `sinceMs`, in one statement (a scan of a table purge keeps small). */
  async revokedSince(sinceMs: number): Promise<RevocationEntry[]> {
    let rows: Array<{ target: string; revoked_at: string; expires_at: string }>;
    try {
      rows = await this.#db.query('SELECT target, revoked_at, expires_at FROM credential_revocations WHERE revoked_at >= $1', [Math.trunc(sinceMs)]);
    } catch (cause) {
      throw unavailable(cause, 'cannot read revocations');
    }
    return rows.map((row) => ({ target: JSON.parse(row.target) as RevocationTarget, revokedAt: Number(row.revoked_at), expiresAt: Number(row.expires_at) }));
  }

  /** Deletes, in one statement, the entries whose `expiresAt` is at or before `now`; how many. */
  async purge(now: number): Promise<number> {
    try {
      const rows = await this.#db.query('DELETE FROM credential_revocations WHERE expires_at <= $1 RETURNING 1 AS one', [Math.trunc(now)]);
      return rows.length;
    } catch (cause) {
      throw unavailable(cause, 'cannot purge revocations');
    }
  }
}
