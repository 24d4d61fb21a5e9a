/**
 * Sessions in the embedded SQLite state database. A session is created by an
 * application (never by the model) and bound to the principal that created it.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../core/errors.ts';
import type { SessionRecord, SessionStore } from '../core/types.ts';

export class SqliteSessionStore implements SessionStore {
  readonly #insert: StatementSync;
  readonly #select: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      owner_user TEXT NOT NULL,
      owner_tenant TEXT NOT NULL,
      owner_issuer TEXT NOT NULL,
      attributes TEXT NOT NULL,
      created_at INTEGER NOT NULL
    ) STRICT`);
    this.#insert = db.prepare(
      'INSERT INTO sessions (id, owner_user, owner_tenant, owner_issuer, attributes, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#select = db.prepare('SELECT * FROM sessions WHERE id = ?');
  }

  async create(record: SessionRecord): Promise<void> {
    try {
      this.#insert.run(
        record.id,
        record.owner.user,
        record.owner.tenant,
        record.owner.issuer,
        JSON.stringify(record.attributes),
        record.createdAt,
      );
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot store the session', { cause, status: 503 });
    }
  }

  async get(id: string): Promise<SessionRecord | null> {
    let row: Record<string, unknown> | undefined;
    try {
      row = this.#select.get(id) as Record<string, unknown> | undefined;
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot read the session', { cause, status: 503 });
    }
    if (row === undefined) return null;
    return {
      id: String(row.id),
      owner: { user: String(row.owner_user), tenant: String(row.owner_tenant), issuer: String(row.owner_issuer) },
      attributes: JSON.parse(String(row.attributes)) as SessionRecord['attributes'],
      createdAt: Number(row.created_at),
    };
  }
}
