/**
 * CredentialUseStore in an embedded SQLite database (open it with core's
 * `openDurableSqlite`: WAL + synchronous=FULL, so an acknowledged use survives a crash).
 * One row per used jti; a use is one INSERT whose PRIMARY KEY conflict means a replay, so
 * it is atomic across every connection and process on the same file (SQLite serializes
 * writers). Every fault is `ERR_CREDENTIAL_UNAVAILABLE` (503): a use is never accepted
 * when it could not be recorded.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { credentialError } from '../../credentials/errors.ts';
import type { CredentialUseStore } from '../../credentials/types.ts';

export class SqliteCredentialUseStore implements CredentialUseStore {
  readonly #insert: StatementSync;
  readonly #purge: StatementSync;

  constructor(db: DatabaseSync) {
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS credential_uses (
        jti TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS credential_uses_expires ON credential_uses (expires_at)`);
      this.#insert = db.prepare('INSERT INTO credential_uses (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING');
      this.#purge = db.prepare('DELETE FROM credential_uses WHERE expires_at < ?');
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot open the credential use store', { cause });
    }
  }

  /**
   * One autocommitted INSERT: resolves once the row is committed (fsync'd); a row already
   * there (changes = 0) is `ERR_CREDENTIAL_REPLAYED`. A failed statement changes nothing.
   */
  async use(jti: string, expiresAtSeconds: number, nowSeconds: number): Promise<void> {
    void nowSeconds; // a recorded jti counts until purged, whatever the time
    let changes: number;
    try {
      changes = Number(this.#insert.run(jti, Math.trunc(expiresAtSeconds)).changes);
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot record the credential use', { cause });
    }
    if (changes !== 1) throw credentialError('ERR_CREDENTIAL_REPLAYED', 'credential was already used');
  }

  /** One DELETE of the uses that expired before `nowSeconds`; how many. */
  async purge(nowSeconds: number): Promise<number> {
    try {
      return Number(this.#purge.run(Math.trunc(nowSeconds)).changes);
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot purge credential uses', { cause });
    }
  }
}
