/**
 * The provenance log (ProvenanceStore) in PostgreSQL (migration 0004): `provenance_log`
 * holds one row per registration keyed by (session, ordinal), the registration as JSON text;
 * `provenance_heads` holds each session's last ordinal. An append increments the head row
 * (an upsert, which locks it) and inserts the entry in one transaction, so concurrent
 * appends to a session from any number of replicas queue on that row lock and commit in
 * ordinal order: a reader that sees ordinal n sees every ordinal below it.
 */
import type { LogEntry, LoggedRegistration, ProvenanceStore } from '../../provenance/index.ts';
import { decodeRegistration, encodeRegistration } from '../../provenance/index.ts';
import type { PostgresDatabase } from './database.ts';

export class PostgresProvenanceStore implements ProvenanceStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * One transaction: committed when it resolves; when it rejects (ERR_STORE_UNAVAILABLE) it was
   * rolled back - unless the connection dropped after COMMIT was sent, when the entry may
   * be in the log (it then counts, which only ever over-taints).
   */
  async append(sessionId: string, registration: LoggedRegistration): Promise<{ ordinal: number }> {
    const body = encodeRegistration(registration);
    return this.#db.transaction(async (tx) => {
      const [head] = await tx.query<{ last_ordinal: string }>(
        `INSERT INTO provenance_heads (session_id, last_ordinal) VALUES ($1, 1)
         ON CONFLICT (session_id) DO UPDATE SET last_ordinal = provenance_heads.last_ordinal + 1
         RETURNING last_ordinal`,
        [sessionId],
      );
      const ordinal = Number(head?.last_ordinal);
      await tx.query('INSERT INTO provenance_log (session_id, ordinal, registration) VALUES ($1, $2, $3)', [sessionId, ordinal, body]);
      return { ordinal };
    });
  }

  /** One statement (one snapshot); ERR_STORE_UNAVAILABLE when the database does not answer, ERR_PROVENANCE_CORRUPT for a malformed row. */
  async since(sessionId: string, afterOrdinal: number): Promise<LogEntry[]> {
    const rows = await this.#db.query<{ ordinal: string; registration: string }>(
      'SELECT ordinal, registration FROM provenance_log WHERE session_id = $1 AND ordinal > $2 ORDER BY ordinal',
      [sessionId, Math.max(0, Math.floor(afterOrdinal))],
    );
    return rows.map((row) => ({ ordinal: Number(row.ordinal), registration: decodeRegistration(row.registration) }));
  }
}
