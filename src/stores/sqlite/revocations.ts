/**
 * RevocationStore in the embedded SQLite state database (open it with core's
 * `openDurableSqlite`, so an acknowledged revocation survives a crash). One row per target
 * (row kind and key, see revocation-key.ts); a covering entry is found with one query of
 * primary-key lookups.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { credentialError } from '../../credentials/errors.ts';
import { candidateRowKeys, coveringCondition, covers, rowKind, targetKey } from '../../credentials/revocation-key.ts';
import type { RevocationEntry, RevocationStore, RevocationSubject, RevocationTarget } from '../../credentials/types.ts';

export class SqliteRevocationStore implements RevocationStore {
  readonly #upsert: StatementSync;
  readonly #check: StatementSync;
  readonly #since: StatementSync;
  readonly #purge: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS credential_revocations (
      kind TEXT NOT NULL,
      key TEXT NOT NULL,
      target TEXT NOT NULL,
      revoked_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (kind, key)
    ) STRICT`);
    this.#upsert = db.prepare(`INSERT INTO credential_revocations (kind, key, target, revoked_at, expires_at)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (kind, key) DO UPDATE SET
        revoked_at = max(revoked_at, excluded.revoked_at),
        expires_at = max(expires_at, excluded.expires_at)`);
    // Each (kind, key) pair is a primary-key lookup; the jti row first when it covers.
    this.#check = db.prepare(`SELECT target, revoked_at, expires_at FROM credential_revocations
      WHERE ${coveringCondition((i) => `?${i + 2}`, '?1')}
      ORDER BY kind <> 'jti'
      LIMIT 1`);
    // A scan of the table (kept small by purge); asked a few times a second at most (mint-check.ts).
    this.#since = db.prepare('SELECT target, revoked_at, expires_at FROM credential_revocations WHERE revoked_at >= ?');
    this.#purge = db.prepare('DELETE FROM credential_revocations WHERE expires_at <= ?');
  }

  async revoke(entry: RevocationEntry): Promise<void> {
    try {
      this.#upsert.run(
        rowKind(entry.target),
        targetKey(entry.target),
        JSON.stringify(entry.target),
        Math.trunc(entry.revokedAt),
        Math.trunc(entry.expiresAt),
      );
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot store the revocation', { cause });
    }
  }

  async check(subject: RevocationSubject): Promise<RevocationEntry | null> {
    let row: Record<string, unknown> | undefined;
    try {
      row = this.#check.get(subject.issuedAt * 1000, ...candidateRowKeys(subject)) as Record<string, unknown> | undefined;
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot read revocations', { cause });
    }
    if (row === undefined) return null;
    const entry: RevocationEntry = {
      target: JSON.parse(String(row.target)) as RevocationTarget,
      revokedAt: Number(row.revoked_at),
      expiresAt: Number(row.expires_at),
    };
    return covers(entry, subject) ? entry : null;
  }

  async revokedSince(sinceMs: number): Promise<RevocationEntry[]> {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = this.#since.all(Math.trunc(sinceMs)) as Array<Record<string, unknown>>;
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot read revocations', { cause });
    }
    return rows.map((row) => ({
      target: JSON.parse(String(row.target)) as RevocationTarget,
      revokedAt: Number(row.revoked_at),
      expiresAt: Number(row.expires_at),
    }));
  }

  async purge(now: number): Promise<number> {
    try {
      return Number(this.#purge.run(Math.trunc(now)).changes);
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot purge revocations', { cause });
    }
  }
}
