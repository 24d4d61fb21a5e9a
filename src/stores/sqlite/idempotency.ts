/**
 * IdempotencyStore in the embedded SQLite state database (WAL + synchronous=FULL, so an
 * acknowledged claim survives a crash). One row per record: the JSON record plus the
 * columns the conditions read (scope, tenant, state, action, lease). A claim is one INSERT
 * whose UNIQUE scope makes it atomic across every connection and process on the file;
 * settle, release and resolve are conditional statements (compare-and-set) in one IMMEDIATE
 * transaction. Every fault is ERR_STATE_UNAVAILABLE (503).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { immediateTransaction } from './transaction.ts';
import { AirlockError } from '../../core/errors.ts';
import type { ClaimResult, IdempotencyRecord, IdempotencyResolution, IdempotencyState, IdempotencyStore, SettleInput } from '../../idempotency/index.ts';

interface Row {
  body: string;
}

export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #byScope: StatementSync;
  readonly #byId: StatementSync;
  readonly #update: StatementSync;
  readonly #delete: StatementSync;
  readonly #list: StatementSync;
  readonly #listState: StatementSync;
  readonly #purge: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS idempotency_records (
        id TEXT PRIMARY KEY,
        scope TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        state TEXT NOT NULL,
        action_id TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        body TEXT NOT NULL
      ) STRICT;
      CREATE INDEX IF NOT EXISTS idempotency_records_tenant ON idempotency_records (tenant, created_at);
      CREATE INDEX IF NOT EXISTS idempotency_records_settled ON idempotency_records (updated_at) WHERE state IN ('completed', 'failed');`);
      this.#insert = db.prepare(
        'INSERT INTO idempotency_records (id, scope, tenant, state, action_id, lease_until, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope) DO NOTHING',
      );
      this.#byScope = db.prepare('SELECT body FROM idempotency_records WHERE scope = ?');
      this.#byId = db.prepare('SELECT body FROM idempotency_records WHERE id = ?');
      this.#update = db.prepare('UPDATE idempotency_records SET state = ?, updated_at = ?, body = ? WHERE id = ?');
      this.#delete = db.prepare('DELETE FROM idempotency_records WHERE id = ?');
      this.#list = db.prepare('SELECT body FROM idempotency_records WHERE tenant = ? ORDER BY created_at DESC, id DESC LIMIT ?');
      this.#listState = db.prepare('SELECT body FROM idempotency_records WHERE tenant = ? AND state = ? ORDER BY created_at DESC, id DESC LIMIT ?');
      this.#purge = db.prepare("DELETE FROM idempotency_records WHERE state IN ('completed', 'failed') AND updated_at < ?");
    } catch (cause) {
      throw unavailable('cannot open the idempotency store', cause);
    }
  }

  async claim(record: IdempotencyRecord): Promise<ClaimResult> {
    return immediateTransaction(this.#db, 'cannot claim the idempotency key', () => {
      const changes = Number(
        this.#insert.run(record.id, record.scope, record.owner.tenant, record.state, record.action_id, record.lease_until, record.created_at, record.updated_at, JSON.stringify(record)).changes,
      );
      if (changes === 1) return { claimed: true, record: structuredClone(record) };
      const holder = this.#byScope.get(record.scope) as Row | undefined;
      if (holder === undefined) throw new Error('claim conflicted but no record holds the scope');
      return { claimed: false, record: JSON.parse(holder.body) as IdempotencyRecord };
    });
  }

  async find(scope: string): Promise<IdempotencyRecord | null> {
    return this.#one(() => this.#byScope.get(scope));
  }

  async get(id: string): Promise<IdempotencyRecord | null> {
    return this.#one(() => this.#byId.get(id));
  }

  async settle(id: string, actionId: string, input: SettleInput): Promise<IdempotencyRecord | null> {
    return immediateTransaction(this.#db, 'cannot settle the idempotency record', () => {
      const record = this.#read(id);
      if (record === null || record.state !== 'pending' || record.action_id !== actionId) return null;
      const next: IdempotencyRecord = { ...record, state: input.state, outcome: input.outcome, updated_at: input.at };
      this.#update.run(next.state, next.updated_at, JSON.stringify(next), id);
      return next;
    });
  }

  async release(id: string, actionId: string): Promise<boolean> {
    return immediateTransaction(this.#db, 'cannot release the idempotency key', () => {
      const record = this.#read(id);
      if (record === null || record.state !== 'pending' || record.action_id !== actionId) return false;
      this.#delete.run(id);
      return true;
    });
  }

  async resolve(id: string, resolution: IdempotencyResolution, now: number): Promise<IdempotencyRecord | null> {
    return immediateTransaction(this.#db, 'cannot resolve the idempotency record', () => {
      const record = this.#read(id);
      if (record === null) return null;
      if (!(record.state === 'outcome_unknown' || (record.state === 'pending' && record.lease_until < now))) return null;
      const next: IdempotencyRecord = { ...record, resolution, updated_at: resolution.at };
      if (resolution.outcome === 'not_executed') {
        this.#delete.run(id);
        return next;
      }
      next.state = 'completed';
      next.outcome = { result_omitted: true };
      this.#update.run(next.state, next.updated_at, JSON.stringify(next), id);
      return next;
    });
  }

  async list(tenant: string, filter: { state?: IdempotencyState; limit?: number } = {}): Promise<IdempotencyRecord[]> {
    const limit = filter.limit ?? 100;
    try {
      const rows = (filter.state === undefined ? this.#list.all(tenant, limit) : this.#listState.all(tenant, filter.state, limit)) as unknown as Row[];
      return rows.map((r) => JSON.parse(r.body) as IdempotencyRecord);
    } catch (cause) {
      throw unavailable('cannot read idempotency records', cause);
    }
  }

  async purge(before: number): Promise<number> {
    try {
      return Number(this.#purge.run(before).changes);
    } catch (cause) {
      throw unavailable('cannot purge idempotency records', cause);
    }
  }

  #read(id: string): IdempotencyRecord | null {
    const row = this.#byId.get(id) as Row | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as IdempotencyRecord);
  }

  #one(read: () => unknown): IdempotencyRecord | null {
    try {
      const row = read() as Row | undefined;
      return row === undefined ? null : (JSON.parse(row.body) as IdempotencyRecord);
    } catch (cause) {
      throw unavailable('cannot read idempotency records', cause);
    }
  }
}

function unavailable(message: string, cause: unknown): AirlockError {
  return new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
}
