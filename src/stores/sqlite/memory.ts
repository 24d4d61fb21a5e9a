/**
 * MemoryStore in the embedded SQLite state database. The record is stored as JSON; tenant,
 * owner, kind, state and times are columns; the derived search index is its own table,
 * written and deleted in the same transaction as the record. Every statement names the
 * tenant, so no query can return another tenant's row.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { MemoryQuery, MemoryRecord, MemoryReview, MemoryState, MemoryStore } from '../../memory/types.ts';

function unavailable(cause: unknown, what: string): AirlockError {
  return new AirlockError('ERR_STATE_UNAVAILABLE', `cannot ${what}`, { cause, status: 503 });
}

export class SqliteMemoryStore implements MemoryStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #insertTerm: StatementSync;
  readonly #select: StatementSync;
  readonly #transition: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteTerms: StatementSync;
  readonly #countTerms: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS memory_records (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      owner TEXT NOT NULL,
      kind TEXT NOT NULL,
      state TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS memory_records_tenant ON memory_records (tenant, state, created_at);
    CREATE TABLE IF NOT EXISTS memory_terms (
      tenant TEXT NOT NULL,
      term TEXT NOT NULL,
      id TEXT NOT NULL,
      PRIMARY KEY (tenant, term, id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS memory_terms_id ON memory_terms (tenant, id)`);
    this.#insert = db.prepare('INSERT INTO memory_records (id, tenant, owner, kind, state, created_at, expires_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#insertTerm = db.prepare('INSERT OR IGNORE INTO memory_terms (tenant, term, id) VALUES (?, ?, ?)');
    this.#select = db.prepare('SELECT state, body FROM memory_records WHERE tenant = ? AND id = ?');
    this.#transition = db.prepare(
      "UPDATE memory_records SET state = ?, body = json_set(body, '$.state', ?, '$.review', json(?)) WHERE tenant = ? AND id = ? AND state = ?",
    );
    this.#delete = db.prepare('DELETE FROM memory_records WHERE tenant = ? AND id = ?');
    this.#deleteTerms = db.prepare('DELETE FROM memory_terms WHERE tenant = ? AND id = ?');
    this.#countTerms = db.prepare('SELECT COUNT(*) AS n FROM memory_terms WHERE tenant = ? AND id = ?');
  }

  #transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.#db.exec('COMMIT');
      return out;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  async put(record: MemoryRecord, terms: readonly string[]): Promise<void> {
    try {
      this.#transaction(() => {
        this.#insert.run(record.id, record.tenant, record.owner, record.kind, record.state, record.created_at, record.expires_at, JSON.stringify(record));
        for (const term of new Set(terms)) this.#insertTerm.run(record.tenant, term, record.id);
      });
    } catch (cause) {
      if (String((cause as Error).message).includes('UNIQUE')) {
        throw new AirlockError('ERR_MEMORY_DUPLICATE', 'a memory with that id exists', { status: 409, cause });
      }
      throw unavailable(cause, 'store the memory');
    }
  }

  async get(tenant: string, id: string): Promise<MemoryRecord | null> {
    let row: { state: string; body: string } | undefined;
    try {
      row = this.#select.get(tenant, id) as typeof row;
    } catch (cause) {
      throw unavailable(cause, 'read the memory');
    }
    return row === undefined ? null : { ...(JSON.parse(row.body) as MemoryRecord), state: row.state as MemoryState };
  }

  async list(query: MemoryQuery): Promise<MemoryRecord[]> {
    const where = ['r.tenant = ?', 'r.state = ?'];
    const params: Array<string | number> = [query.tenant, query.state];
    if (query.owners !== undefined) {
      if (query.owners.length === 0) return [];
      where.push(`r.owner IN (${query.owners.map(() => '?').join(', ')})`);
      params.push(...query.owners);
    }
    if (query.kind !== undefined) {
      where.push('r.kind = ?');
      params.push(query.kind);
    }
    if (query.liveAt !== undefined) {
      where.push('r.expires_at > ?');
      params.push(query.liveAt);
    }
    const terms = [...new Set(query.terms ?? [])];
    if (terms.length > 0) {
      where.push(
        `r.id IN (SELECT id FROM memory_terms WHERE tenant = ? AND term IN (${terms.map(() => '?').join(', ')}) GROUP BY id HAVING COUNT(*) = ?)`,
      );
      params.push(query.tenant, ...terms, terms.length);
    }
    params.push(query.limit);
    try {
      const rows = this.#db
        .prepare(`SELECT r.state, r.body FROM memory_records r WHERE ${where.join(' AND ')} ORDER BY r.created_at DESC, r.id DESC LIMIT ?`)
        .all(...params) as Array<{ state: string; body: string }>;
      return rows.map((row) => ({ ...(JSON.parse(row.body) as MemoryRecord), state: row.state as MemoryState }));
    } catch (cause) {
      throw unavailable(cause, 'search memories');
    }
  }

  async transition(tenant: string, id: string, from: MemoryState, to: MemoryState, review: MemoryReview): Promise<boolean> {
    try {
      return Number(this.#transition.run(to, to, JSON.stringify(review), tenant, id, from).changes) === 1;
    } catch (cause) {
      throw unavailable(cause, 'update the memory');
    }
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    try {
      return this.#transaction(() => {
        const changes = Number(this.#delete.run(tenant, id).changes);
        this.#deleteTerms.run(tenant, id);
        return changes === 1;
      });
    } catch (cause) {
      throw unavailable(cause, 'delete the memory');
    }
  }

  async indexEntries(tenant: string, id: string): Promise<number> {
    const row = this.#countTerms.get(tenant, id) as { n: number } | undefined;
    return Number(row?.n ?? 0);
  }
}
