/**
 * RevocationStore in the embedded SQLite state database (open it with core's
 * `openDurableSqlite`, so an acknowledged revocation survives a crash). One row per target;
 * a covering entry is found with one indexed query.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { credentialError } from './errors.ts';
import { candidateTargets, covers, targetKey } from './revocation-key.ts';
import type { RevocationEntry, RevocationStore, RevocationSubject, RevocationTarget } from './types.ts';

export class SqliteRevocationStore implements RevocationStore {
  readonly #upsert: StatementSync;
  readonly #check: StatementSync;
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
    this.#check = db.prepare(`SELECT target, revoked_at, expires_at FROM credential_revocations
      WHERE (kind = 'jti' AND key = ?)
         OR (kind = 'user' AND key = ? AND revoked_at >= ?)
         OR (kind = 'tenant' AND key = ? AND revoked_at >= ?)
         OR (kind = 'connector' AND key = ? AND revoked_at >= ?)
      LIMIT 1`);
    this.#purge = db.prepare('DELETE FROM credential_revocations WHERE expires_at <= ?');
  }

  async revoke(entry: RevocationEntry): Promise<void> {
    try {
      this.#upsert.run(
        entry.target.kind,
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
    const [jti, user, tenant, connector] = candidateTargets(subject).map(targetKey);
    const issuedAtMs = subject.issuedAt * 1000;
    let row: Record<string, unknown> | undefined;
    try {
      row = this.#check.get(jti ?? '', user ?? '', issuedAtMs, tenant ?? '', issuedAtMs, connector ?? '', issuedAtMs) as
        | Record<string, unknown>
        | undefined;
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

  async purge(now: number): Promise<number> {
    try {
      return Number(this.#purge.run(Math.trunc(now)).changes);
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot purge revocations', { cause });
    }
  }
}
