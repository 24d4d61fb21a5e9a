/**
 * MemoryStore in PostgreSQL (migration 0002), shared by every replica on the schema. A
 * record is JSON text plus the columns it is searched by; its state and review are columns
 * of their own so a review is one compare-and-set UPDATE. The derived search index
 * (`memory_terms`) is written in the record's transaction and deleted with it (same
 * statement, ON DELETE CASCADE). Every statement names the tenant, so no query returns
 * another tenant's row. Faults are `ERR_STATE_UNAVAILABLE` (503), like the SQLite adapter.
 */
import { AirlockError } from '../../core/errors.ts';
import type { MemoryQuery, MemoryRecord, MemoryReview, MemoryState, MemoryStore } from '../../memory/types.ts';
import { sqlState, type PostgresDatabase } from './database.ts';

function unavailable(cause: unknown, what: string): AirlockError {
  return new AirlockError('ERR_STATE_UNAVAILABLE', `cannot ${what}`, { cause, status: 503 });
}

interface Row extends Record<string, unknown> {
  state: string;
  review: string | null;
  body: string;
}

function recordOf(row: Row): MemoryRecord {
  const record = { ...(JSON.parse(row.body) as MemoryRecord), state: row.state as MemoryState };
  if (row.review !== null) record.review = JSON.parse(row.review) as MemoryReview;
  return record;
}

export class PostgresMemoryStore implements MemoryStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Inserts the record and its distinct index terms in one transaction: both are committed
   * or neither is. A record id that exists (in any tenant) is `ERR_MEMORY_DUPLICATE` (409)
   * and changes nothing.
   */
  async put(record: MemoryRecord, terms: readonly string[]): Promise<void> {
    const { state, review, ...body } = record;
    try {
      await this.#db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO memory_records (id, tenant, owner, kind, state, created_at, expires_at, review, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [record.id, record.tenant, record.owner, record.kind, state, record.created_at, record.expires_at, review === undefined ? null : JSON.stringify(review), JSON.stringify(body)],
        );
        const unique = [...new Set(terms)];
        if (unique.length > 0) {
          await tx.query('INSERT INTO memory_terms (tenant, term, id) SELECT $1, t, $2 FROM unnest($3::text[]) AS t', [record.tenant, record.id, unique]);
        }
      });
    } catch (cause) {
      if (sqlState(cause) === '23505') throw new AirlockError('ERR_MEMORY_DUPLICATE', 'a memory with that id exists', { status: 409, cause });
      throw unavailable(cause, 'store the memory');
    }
  }

  /** The committed record, only if it belongs to `tenant`. */
  async get(tenant: string, id: string): Promise<MemoryRecord | null> {
    let rows: Row[];
    try {
      rows = await this.#db.query<Row>('SELECT state, review, body FROM memory_records WHERE tenant = $1 AND id = $2', [tenant, id]);
    } catch (cause) {
      throw unavailable(cause, 'read the memory');
    }
    return rows[0] === undefined ? null : recordOf(rows[0]);
  }

  /** Matching committed records of one tenant, newest first (ties: id descending), at most `limit`; one statement. */
  async list(query: MemoryQuery): Promise<MemoryRecord[]> {
    const params: unknown[] = [query.tenant, query.state];
    const where = ['r.tenant = $1', 'r.state = $2'];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.owners !== undefined) {
      if (query.owners.length === 0) return [];
      where.push(`r.owner = ANY(${param([...query.owners])}::text[])`);
    }
    if (query.kind !== undefined) where.push(`r.kind = ${param(query.kind)}`);
    if (query.liveAt !== undefined) where.push(`r.expires_at > ${param(query.liveAt)}`);
    const terms = [...new Set(query.terms ?? [])];
    if (terms.length > 0) {
      where.push(
        `r.id IN (SELECT t.id FROM memory_terms t WHERE t.tenant = $1 AND t.term = ANY(${param(terms)}::text[]) GROUP BY t.id HAVING count(*) = ${param(terms.length)})`,
      );
    }
    const limit = param(query.limit);
    try {
      const rows = await this.#db.query<Row>(
        `SELECT r.state, r.review, r.body FROM memory_records r WHERE ${where.join(' AND ')}
         ORDER BY r.created_at DESC, r.id COLLATE "C" DESC LIMIT ${limit}`,
        params,
      );
      return rows.map(recordOf);
    } catch (cause) {
      throw unavailable(cause, 'search memories');
    }
  }

  /**
   * One conditional UPDATE: the state and review change only if the record (of `tenant`) is
   * in `from` when the statement runs, so of concurrent transitions on any replicas exactly
   * one returns true.
   */
  async transition(tenant: string, id: string, from: MemoryState, to: MemoryState, review: MemoryReview): Promise<boolean> {
    try {
      const rows = await this.#db.query(
        'UPDATE memory_records SET state = $1, review = $2 WHERE tenant = $3 AND id = $4 AND state = $5 RETURNING 1 AS one',
        [to, JSON.stringify(review), tenant, id, from],
      );
      return rows.length === 1;
    } catch (cause) {
      throw unavailable(cause, 'update the memory');
    }
  }

  /** Deletes the record and (by cascade, in the same statement) its index entries; true when it existed in `tenant`. */
  async delete(tenant: string, id: string): Promise<boolean> {
    try {
      const rows = await this.#db.query('DELETE FROM memory_records WHERE tenant = $1 AND id = $2 RETURNING 1 AS one', [tenant, id]);
      return rows.length === 1;
    } catch (cause) {
      throw unavailable(cause, 'delete the memory');
    }
  }

  /** How many committed index entries derive from the record. */
  async indexEntries(tenant: string, id: string): Promise<number> {
    try {
      const rows = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM memory_terms WHERE tenant = $1 AND id = $2', [tenant, id]);
      return rows[0]?.n ?? 0;
    } catch (cause) {
      throw unavailable(cause, 'count memory index entries');
    }
  }
}
