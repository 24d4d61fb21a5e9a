/**
 * Overrides in the embedded SQLite state database. The immutable record is JSON; tenant,
 * scope keys, times, revocation, expiry notice and the use counter are columns, so matching
 * is indexed and every change is one conditional UPDATE (SQLite serializes writers, so each
 * compare-and-set holds across connections).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { Override, OverrideRevocation, OverrideStore } from '../../overrides/types.ts';

interface Row {
  body: string;
  uses: number;
  revoked_at: number | null;
  expired_at: number | null;
}

const COLUMNS = 'body, uses, revoked_at, expired_at';

export class SqliteOverrideStore implements OverrideStore {
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #list: StatementSync;
  readonly #candidates: StatementSync;
  readonly #revoke: StatementSync;
  readonly #expire: StatementSync;
  readonly #use: StatementSync;
  readonly #open: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS overrides (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      kind TEXT NOT NULL,
      target TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      expired_at INTEGER,
      uses INTEGER NOT NULL DEFAULT 0,
      body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS overrides_tenant ON overrides (tenant, created_at);
    CREATE INDEX IF NOT EXISTS overrides_open ON overrides (tenant, kind, target) WHERE revoked_at IS NULL AND expired_at IS NULL`);
    this.#insert = db.prepare(
      'INSERT INTO overrides (id, tenant, kind, target, created_at, expires_at, revoked_at, expired_at, uses, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#select = db.prepare(`SELECT ${COLUMNS} FROM overrides WHERE id = ?`);
    this.#list = db.prepare(`SELECT ${COLUMNS} FROM overrides WHERE tenant = ? ORDER BY created_at, id`);
    this.#candidates = db.prepare(
      `SELECT ${COLUMNS} FROM overrides WHERE tenant = ? AND revoked_at IS NULL AND expired_at IS NULL
       AND ((kind = 'action' AND target = ?) OR (kind = 'tool' AND target = ?)) ORDER BY created_at, id`,
    );
    this.#revoke = db.prepare(
      `UPDATE overrides SET revoked_at = ?, body = json_patch(body, ?)
       WHERE id = ? AND revoked_at IS NULL AND expired_at IS NULL AND expires_at > ?`,
    );
    this.#expire = db.prepare(
      'UPDATE overrides SET expired_at = ? WHERE id = ? AND revoked_at IS NULL AND expired_at IS NULL AND expires_at <= ?',
    );
    this.#open = db.prepare(
      'SELECT tenant, created_at FROM overrides WHERE revoked_at IS NULL AND expired_at IS NULL AND expires_at > ? ORDER BY created_at, id',
    );
    this.#use = db.prepare(
      `UPDATE overrides SET uses = uses + 1
       WHERE id = ? AND revoked_at IS NULL AND expired_at IS NULL AND expires_at > ? RETURNING ${COLUMNS}`,
    );
  }

  async create(override: Override): Promise<void> {
    const { scope } = override;
    const target = scope.kind === 'action' ? scope.action_hash : scope.tool;
    this.#write('cannot store the override', () =>
      this.#insert.run(
        override.id,
        scope.tenant,
        scope.kind,
        target,
        override.created_at,
        override.expires_at,
        override.revoked_at ?? null,
        override.expired_at ?? null,
        override.uses,
        JSON.stringify(override),
      ),
    );
  }

  async get(id: string): Promise<Override | null> {
    const row = this.#read(() => this.#select.get(id)) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  async list(filter: { tenant: string }): Promise<Override[]> {
    return (this.#read(() => this.#list.all(filter.tenant)) as unknown as Row[]).map(fromRow);
  }

  async candidates(query: { tenant: string; actionHash: string; tool: string }): Promise<Override[]> {
    const rows = this.#read(() => this.#candidates.all(query.tenant, query.actionHash, query.tool)) as unknown as Row[];
    return rows.map(fromRow);
  }

  async revoke(id: string, revocation: OverrideRevocation): Promise<boolean> {
    const patch = JSON.stringify({ revoked_by: revocation.revoked_by, revoke_justification: revocation.revoke_justification });
    const result = this.#write('cannot revoke the override', () =>
      this.#revoke.run(revocation.revoked_at, patch, id, revocation.revoked_at),
    );
    return Number(result.changes) === 1;
  }

  async markExpired(id: string, at: number): Promise<boolean> {
    const result = this.#write('cannot update the override', () => this.#expire.run(at, id, at));
    return Number(result.changes) === 1;
  }

  async recordUse(id: string, at: number): Promise<Override | null> {
    const row = this.#write('cannot record the override use', () => this.#use.get(id, at)) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  async openAt(at: number): Promise<Array<{ tenant: string; created_at: number }>> {
    const rows = this.#read(() => this.#open.all(at)) as Array<{ tenant: string; created_at: number }>;
    return rows.map((r) => ({ tenant: r.tenant, created_at: Number(r.created_at) }));
  }

  #write<T>(message: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
    }
  }

  #read<T>(fn: () => T): T {
    return this.#write('cannot read overrides', fn);
  }
}

/** Columns are authoritative for the mutable fields; the JSON body for everything else. */
function fromRow(row: Row): Override {
  const override = JSON.parse(row.body) as Override;
  delete override.revoked_at;
  delete override.expired_at;
  override.uses = Number(row.uses);
  if (row.revoked_at !== null) override.revoked_at = Number(row.revoked_at);
  if (row.expired_at !== null) override.expired_at = Number(row.expired_at);
  return override;
}
