/**
 * The provenance log (ProvenanceStore) in PostgreSQL (migration 0004): `provenance_log`
 * holds one row per registration keyed by (session, ordinal), the registration as JSON text;
 * `provenance_heads` holds each session's last ordinal. An append increments the head row
 * (an upsert, which locks it) and inserts the entry in one statement, so concurrent
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
   * One statement, so one transaction: the head's upsert (which locks it until the commit)
   * and the entry's insert commit together or not at all. When it rejects
   * (ERR_STORE_UNAVAILABLE) nothing was written - unless the connection dropped after the
   * statement was sent, when the entry may be in the log (it then counts, which only ever
   * over-taints).
   */
  async append(sessionId: string, registration: LoggedRegistration): Promise<{ ordinal: number }> {
    const body = encodeRegistration(registration);
    const [row] = await this.#db.query<{ ordinal: string }>(
      `WITH head AS (
         INSERT INTO provenance_heads (session_id, last_ordinal) VALUES ($1, 1)
         ON CONFLICT (session_id) DO UPDATE SET last_ordinal = provenance_heads.last_ordinal + 1
         RETURNING last_ordinal
       )
       INSERT INTO provenance_log (session_id, ordinal, registration) SELECT $1, head.last_ordinal, $2 FROM head
       RETURNING ordinal`,
      [sessionId, body],
    );
    return { ordinal: Number(row?.ordinal) };
  }

  /** Nothing to wait for: an append resolves after its commit, which PostgreSQL made durable. */
  async durable(): Promise<void> {}

  /** One statement (one snapshot); ERR_STORE_UNAVAILABLE when the database does not answer, ERR_PROVENANCE_CORRUPT for a malformed row. */
  async since(sessionId: string, afterOrdinal: number): Promise<LogEntry[]> {
    const rows = await this.#db.query<{ ordinal: string; registration: string }>(
      'SELECT ordinal, registration FROM provenance_log WHERE session_id = $1 AND ordinal > $2 ORDER BY ordinal',
      [sessionId, Math.max(0, Math.floor(afterOrdinal))],
    );
    return rows.map((row) => ({ ordinal: Number(row.ordinal), registration: decodeRegistration(row.registration) }));
  }
}
