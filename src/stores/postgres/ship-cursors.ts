/**
 * ShipCursorStore in PostgreSQL (migration 0010): one row per shipper name. An advance is one
 * upsert that keeps the greater seq (`GREATEST`), so shippers on several replicas can only
 * repeat events, never skip one; autocommit makes it durable before it resolves.
 */
import { AirlockError } from '../../core/errors.ts';
import type { ShipCursorStore } from '../../audit/ship/index.ts';
import type { PostgresDatabase } from './database.ts';

const unavailable = (message: string, cause: unknown) => new AirlockError('ERR_AUDIT_SHIP_CURSOR', message, { status: 503, cause });

export class PostgresShipCursorStore implements ShipCursorStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async get(name: string): Promise<number> {
    try {
      const rows = (await this.#db.query('SELECT seq FROM audit_ship_cursors WHERE name = $1', [name])) as Array<{ seq: string | number }>;
      return rows.length === 0 ? 0 : Number(rows[0]?.seq);
    } catch (cause) {
      throw unavailable('cannot read the audit shipping cursor', cause);
    }
  }

  async advance(name: string, seq: number): Promise<void> {
    try {
      await this.#db.query(
        `INSERT INTO audit_ship_cursors (name, seq) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET seq = GREATEST(audit_ship_cursors.seq, EXCLUDED.seq), updated_at = now()`,
        [name, Math.trunc(seq)],
      );
    } catch (cause) {
      throw unavailable('cannot record the audit shipping cursor', cause);
    }
  }
}
