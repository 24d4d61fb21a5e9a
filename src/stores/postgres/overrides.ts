/**
 * Break-glass overrides in PostgreSQL (table `overrides`, migration 0001_state), shared by
 * every replica of a gateway. The override as created is a JSON `body`; tenant, scope keys
 * (kind, target), times, revocation, expiry notice and the use counter are columns, so
 * matching is indexed and every mutation is one conditional statement (`UPDATE ... WHERE
 * <still open> RETURNING`). Under READ COMMITTED a concurrent UPDATE of the same row waits for
 * the first to commit and re-tests its condition against the committed row, so each
 * compare-and-set holds across connections, pools and processes: at most one caller revokes
 * or marks an override expired, and every counted use is counted exactly once.
 *
 * Every method runs one statement outside any explicit transaction: it is its own atomic
 * transaction and resolves only after PostgreSQL has committed it (durable under the server's
 * `synchronous_commit`). Faults are `ERR_STORE_UNAVAILABLE` (503).
 */
import { AirlockError } from '../../core/errors.ts';
import type { Override, OverrideRevocation, OverrideStore } from '../../overrides/types.ts';
import { type PostgresDatabase, sqlState, storableText, storeFault } from './database.ts';

interface Row extends Record<string, unknown> {
  body: string;
  uses: string;
  revoked_at: string | null;
  expired_at: string | null;
  revocation: string | null;
}

const COLUMNS = 'body, uses, revoked_at, expired_at, revocation';
/** Open at $2: not revoked, not marked expired, not past its expiry. */
const OPEN_AT = 'revoked_at IS NULL AND expired_at IS NULL AND expires_at > $2';

export class PostgresOverrideStore implements OverrideStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Inserts the override. Atomic (one INSERT) and committed before it resolves. Rejects with
   * `ERR_OVERRIDE_DUPLICATE` (409) when the id exists, leaving the stored override untouched;
   * with `ERR_STORE_UNAVAILABLE` when the database fails, in which case nothing was stored
   * unless the answer to a sent INSERT was lost (`get` tells).
   */
  async create(override: Override): Promise<void> {
    const { scope } = override;
    const target = scope.kind === 'action' ? scope.action_hash : scope.tool;
    try {
      await this.#db.query(
        `INSERT INTO overrides (id, tenant, kind, target, created_at, expires_at, revoked_at, expired_at, uses, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
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
        ],
      );
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw new AirlockError('ERR_OVERRIDE_DUPLICATE', 'an override with that id exists', { status: 409, cause: error });
      }
      throw storeFault(error, 'cannot store the override');
    }
  }

  /** The committed override, or null. One read; changes nothing. */
  async get(id: string): Promise<Override | null> {
    if (!storableText(id)) return null;
    const rows = await this.#read(`SELECT ${COLUMNS} FROM overrides WHERE id = $1`, [id]);
    return rows[0] === undefined ? null : fromRow(rows[0]);
  }

  /** Every committed override of the tenant, oldest `created_at` first, then by id. One read. */
  async list(filter: { tenant: string }): Promise<Override[]> {
    if (!storableText(filter.tenant)) return [];
    const rows = await this.#read(`SELECT ${COLUMNS} FROM overrides WHERE tenant = $1 ORDER BY created_at, id`, [filter.tenant]);
    return rows.map(fromRow);
  }

  /**
   * Committed overrides of the tenant neither revoked nor marked expired whose scope is the
   * action hash or the tool (expiry time not checked: the caller settles it). One read.
   */
  async candidates(query: { tenant: string; actionHash: string; tool: string }): Promise<Override[]> {
    if (!storableText(query.tenant)) return [];
    const rows = await this.#read(
      `SELECT ${COLUMNS} FROM overrides WHERE tenant = $1 AND revoked_at IS NULL AND expired_at IS NULL
       AND ((kind = 'action' AND target = $2) OR (kind = 'tool' AND target = $3)) ORDER BY created_at, id`,
      [query.tenant, query.actionHash, query.tool],
    );
    return rows.map(fromRow);
  }

  /**
   * Compare-and-set in one UPDATE: revokes only when the override is open at `revoked_at`.
   * True once this call's revocation is committed; false when the override is missing or not
   * open (nothing changed). Of concurrent revocations, on any connection, exactly one wins and
   * its revoker and reason are the ones kept. A failed statement changes nothing; when the
   * answer to a sent statement is lost (`ERR_STORE_UNAVAILABLE`), `get` tells whether it took.
   */
  async revoke(id: string, revocation: OverrideRevocation): Promise<boolean> {
    if (!storableText(id)) return false;
    const detail = JSON.stringify({ revoked_by: revocation.revoked_by, revoke_justification: revocation.revoke_justification });
    const rows = await this.#write(
      'cannot revoke the override',
      `UPDATE overrides SET revoked_at = $2, revocation = $3 WHERE id = $1 AND ${OPEN_AT} RETURNING 1 AS changed`,
      [id, revocation.revoked_at, detail],
    );
    return rows.length === 1;
  }

  /**
   * Compare-and-set in one UPDATE: sets `expired_at = at` only when the override is not
   * revoked, not yet marked and `expires_at <= at`. True once this call's mark is committed;
   * false otherwise (nothing changed). At most one concurrent caller marks it. A failed
   * statement changes nothing; a lost answer is settled by `get`.
   */
  async markExpired(id: string, at: number): Promise<boolean> {
    if (!storableText(id)) return false;
    const rows = await this.#write(
      'cannot update the override',
      'UPDATE overrides SET expired_at = $2 WHERE id = $1 AND revoked_at IS NULL AND expired_at IS NULL AND expires_at <= $2 RETURNING 1 AS changed',
      [id, at],
    );
    return rows.length === 1;
  }

  /**
   * Counts one use in one UPDATE (`uses = uses + 1 ... RETURNING`) when the override is open at
   * `at`: the committed record with this use counted, or null when it is missing or not open
   * (nothing counted). Concurrent uses on any connection are each counted exactly once; a use
   * never lands after a committed revocation or expiry mark. A failed statement counts
   * nothing; when the answer is lost (`ERR_STORE_UNAVAILABLE`) the use may have been counted,
   * and the call it was for is refused (fails closed), so the count may exceed the calls let
   * through but never falls short of them.
   */
  async recordUse(id: string, at: number): Promise<Override | null> {
    if (!storableText(id)) return null;
    const rows = await this.#write(
      'cannot record the override use',
      `UPDATE overrides SET uses = uses + 1 WHERE id = $1 AND ${OPEN_AT} RETURNING ${COLUMNS}`,
      [id, at],
    );
    return rows[0] === undefined ? null : fromRow(rows[0]);
  }

  /**
   * Tenant and creation time of every committed override open at `at`, all tenants, oldest
   * first. One read (one snapshot), for the metrics gauge; changes nothing.
   */
  async openAt(at: number): Promise<Array<{ tenant: string; created_at: number }>> {
    const rows = await this.#db
      .query<{ tenant: string; created_at: string }>(
        'SELECT tenant, created_at FROM overrides WHERE revoked_at IS NULL AND expired_at IS NULL AND expires_at > $1 ORDER BY created_at, id',
        [at],
      )
      .catch((error: unknown) => {
        throw storeFault(error, 'cannot read overrides');
      });
    return rows.map((r) => ({ tenant: r.tenant, created_at: Number(r.created_at) }));
  }

  async #read(text: string, params: readonly unknown[]): Promise<Row[]> {
    return this.#write('cannot read overrides', text, params);
  }

  async #write(what: string, text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return await this.#db.query<Row>(text, params);
    } catch (error) {
      throw storeFault(error, what);
    }
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
  if (row.revocation !== null) Object.assign(override, JSON.parse(row.revocation) as Pick<Override, 'revoked_by' | 'revoke_justification'>);
  return override;
}
