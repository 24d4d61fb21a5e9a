/**
 * Sessions in PostgreSQL (table `sessions`, migration 0001_state; the declared target scope
 * `targets`, JSON or NULL, migration 0012_session_targets), shared by every replica
 * of a gateway. A session is created by an application (never by the model) and bound to the
 * principal that created it, acting agent included (`owner_agent`, NULL when the token named
 * none). The SessionStore interface is the whole of what the gateway asks of a session store
 * (create and get); what a session has seen (labels) and its activity live in other stores.
 *
 * A session row never changes once created (no update, no delete), so the store remembers the
 * records it read (the most recent `cacheSize`, deep-frozen: a reader cannot change what the
 * next one gets) instead of reading the row again on every call of the session. This stays
 * correct across replicas because the row is immutable. Unknown ids are not remembered
 * (another replica may create them a moment later).
 */
import { AirlockError } from '../../core/errors.ts';
import { deepFreeze } from '../../core/freeze.ts';
import type { SessionRecord, SessionStore, TargetPattern } from '../../sessions/index.ts';
import { type PostgresDatabase, sqlState, storableText, storeFault } from './database.ts';

const DEFAULT_CACHE_SIZE = 10_000;

interface Row extends Record<string, unknown> {
  id: string;
  owner_user: string;
  owner_tenant: string;
  owner_issuer: string;
  owner_agent: string | null;
  attributes: string;
  created_at: string;
  targets: string | null;
}

export class PostgresSessionStore implements SessionStore {
  readonly #db: PostgresDatabase;
  readonly #cache = new Map<string, SessionRecord>();
  readonly #cacheSize: number;

  constructor(db: PostgresDatabase, options: { cacheSize?: number } = {}) {
    this.#db = db;
    this.#cacheSize = Math.max(0, Math.floor(options.cacheSize ?? DEFAULT_CACHE_SIZE));
  }

  /**
   * Inserts the session. Atomic (one INSERT) and committed before it resolves; the caller's
   * record is serialized, so later changes to it do not reach the store. Rejects with
   * `ERR_SESSION_DUPLICATE` (409) when the id exists — another principal's session is never
   * overwritten — and with `ERR_STORE_UNAVAILABLE` when the database fails, in which case
   * nothing was stored unless the answer to a sent INSERT was lost (`get` tells).
   */
  async create(record: SessionRecord): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO sessions (id, owner_user, owner_tenant, owner_issuer, owner_agent, attributes, created_at, targets)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          record.id,
          record.owner.user,
          record.owner.tenant,
          record.owner.issuer,
          record.owner.agent ?? null,
          JSON.stringify(record.attributes),
          record.createdAt,
          record.targets === undefined ? null : JSON.stringify(record.targets),
        ],
      );
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw new AirlockError('ERR_SESSION_DUPLICATE', 'a session with that id exists', { status: 409, cause: error });
      }
      throw storeFault(error, 'cannot store the session');
    }
  }

  /**
   * The committed session (deep-frozen), or null when no session has that id. Reads the row
   * at most once per remembered id; changes nothing.
   */
  async get(id: string): Promise<SessionRecord | null> {
    if (!storableText(id)) return null;
    const cached = this.#cache.get(id);
    if (cached !== undefined) return cached;
    let rows: Row[];
    try {
      rows = await this.#db.query<Row>(
        'SELECT id, owner_user, owner_tenant, owner_issuer, owner_agent, attributes, created_at, targets FROM sessions WHERE id = $1',
        [id],
      );
    } catch (error) {
      throw storeFault(error, 'cannot read the session');
    }
    const row = rows[0];
    if (row === undefined) return null;
    const record: SessionRecord = deepFreeze({
      id: row.id,
      owner: { user: row.owner_user, tenant: row.owner_tenant, issuer: row.owner_issuer, agent: row.owner_agent },
      attributes: JSON.parse(row.attributes) as SessionRecord['attributes'],
      createdAt: Number(row.created_at),
      ...(row.targets === null ? {} : { targets: JSON.parse(row.targets) as TargetPattern[] }),
    });
    this.#remember(record);
    return record;
  }

  #remember(record: SessionRecord): void {
    if (this.#cacheSize === 0) return;
    if (this.#cache.size >= this.#cacheSize) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(record.id, record);
  }
}
