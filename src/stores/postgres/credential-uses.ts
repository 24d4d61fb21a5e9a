/**
 * CredentialUseStore in PostgreSQL (migration 0002): one row per used jti, shared by every
 * upstream replica on the schema. A use is one `INSERT ... ON CONFLICT DO NOTHING
 * RETURNING`: the primary key makes concurrent uses of one jti on any number of pools
 * resolve to exactly one inserted row, and the statement's autocommit makes the use
 * durable before it is acknowledged. Every fault is `ERR_CREDENTIAL_UNAVAILABLE` (503): a
 * use is never accepted when it could not be recorded.
 */
import { credentialError } from '../../credentials/errors.ts';
import type { CredentialUseStore } from '../../credentials/types.ts';
import type { PostgresDatabase } from './database.ts';

export class PostgresCredentialUseStore implements CredentialUseStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Resolves once the row is committed; no row returned (the jti is there already, committed
   * by anyone) is `ERR_CREDENTIAL_REPLAYED`. When the answer to the commit is lost the call
   * rejects ERR_CREDENTIAL_UNAVAILABLE and the jti may be recorded: the credential is then
   * refused as used, never accepted twice.
   */
  async use(jti: string, expiresAtSeconds: number, nowSeconds: number): Promise<void> {
    void nowSeconds; // a recorded jti counts until purged, whatever the time
    let rows: unknown[];
    try {
      rows = await this.#db.query('INSERT INTO credential_uses (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING RETURNING jti', [
        jti,
        Math.trunc(expiresAtSeconds),
      ]);
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot record the credential use', { cause });
    }
    if (rows.length !== 1) throw credentialError('ERR_CREDENTIAL_REPLAYED', 'credential was already used');
  }

  /** One DELETE of the uses that expired before `nowSeconds`; how many. */
  async purge(nowSeconds: number): Promise<number> {
    try {
      return (await this.#db.query('DELETE FROM credential_uses WHERE expires_at < $1 RETURNING 1 AS one', [Math.trunc(nowSeconds)])).length;
    } catch (cause) {
      throw credentialError('ERR_CREDENTIAL_UNAVAILABLE', 'cannot purge credential uses', { cause });
    }
  }
}
