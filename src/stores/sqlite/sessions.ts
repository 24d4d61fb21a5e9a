/**
 * Sessions in the embedded SQLite state database. A session is created by an
 * application (never by the model) and bound to the principal that created it, agent
 * included (`owner_agent`, '' when the token named no agent). A database from before that
 * column is migrated in place; its older rows read as created without an agent, so no agent
 * token can use them. The declared target scope (`targets`, JSON; NULL when none was
 * declared) came later too and is added in place; older rows read as declaring none.
 *
 * A session record never changes once created (there is no update or delete), so the store
 * remembers the records it read (the most recent `cacheSize`, frozen: a reader cannot change
 * what the next one gets) instead of reading the row again on every call of the session.
 * Unknown ids are not remembered (another process may create them).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import { deepFreeze } from '../../core/freeze.ts';
import type { TargetPattern } from '../../sessions/targets.ts';
import type { SessionRecord, SessionStore } from '../../sessions/types.ts';

const DEFAULT_CACHE_SIZE = 10_000;

export class SqliteSessionStore implements SessionStore {
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #cache = new Map<string, SessionRecord>();
  readonly #cacheSize: number;

  constructor(db: DatabaseSync, options: { cacheSize?: number } = {}) {
    this.#cacheSize = Math.max(0, Math.floor(options.cacheSize ?? DEFAULT_CACHE_SIZE));
    db.exec(`CREATE TABLE IF NOT EXISTS sessions (
      id TEXT PRIMARY KEY,
      owner_user TEXT NOT NULL,
      owner_tenant TEXT NOT NULL,
      owner_issuer TEXT NOT NULL,
      owner_agent TEXT NOT NULL DEFAULT '',
      attributes TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      targets TEXT
    ) STRICT`);
    const columns = db.prepare('PRAGMA table_info(sessions)').all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'owner_agent')) {
      db.exec("ALTER TABLE sessions ADD COLUMN owner_agent TEXT NOT NULL DEFAULT ''");
    }
    if (!columns.some((c) => c.name === 'targets')) {
      db.exec('ALTER TABLE sessions ADD COLUMN targets TEXT');
    }
    this.#insert = db.prepare(
      'INSERT INTO sessions (id, owner_user, owner_tenant, owner_issuer, owner_agent, attributes, created_at, targets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
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
        record.owner.agent ?? '',
        JSON.stringify(record.attributes),
        record.createdAt,
        record.targets === undefined ? null : JSON.stringify(record.targets),
      );
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot store the session', { cause, status: 503 });
    }
  }

  async get(id: string): Promise<SessionRecord | null> {
    const cached = this.#cache.get(id);
    if (cached !== undefined) return cached;
    let row: Record<string, unknown> | undefined;
    try {
      row = this.#select.get(id) as Record<string, unknown> | undefined;
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot read the session', { cause, status: 503 });
    }
    if (row === undefined) return null;
    const record: SessionRecord = deepFreeze({
      id: String(row.id),
      owner: {
        user: String(row.owner_user),
        tenant: String(row.owner_tenant),
        issuer: String(row.owner_issuer),
        agent: row.owner_agent === '' || row.owner_agent === null ? null : String(row.owner_agent),
      },
      attributes: JSON.parse(String(row.attributes)) as SessionRecord['attributes'],
      createdAt: Number(row.created_at),
      ...(row.targets === null || row.targets === undefined ? {} : { targets: JSON.parse(String(row.targets)) as TargetPattern[] }),
    });
    if (this.#cacheSize > 0) {
      if (this.#cache.size >= this.#cacheSize) {
        const oldest = this.#cache.keys().next();
        if (oldest.done !== true) this.#cache.delete(oldest.value);
      }
      this.#cache.set(record.id, record);
    }
    return record;
  }
}
