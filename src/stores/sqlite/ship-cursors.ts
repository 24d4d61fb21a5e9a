/**
 * ShipCursorStore in the embedded state database (WAL + synchronous=FULL): one row per shipper
 * name; an advance is one upsert keeping the greater seq, committed before it resolves.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { ShipCursorStore } from '../../audit/ship/index.ts';

const unavailable = (message: string, cause: unknown) => new AirlockError('ERR_AUDIT_SHIP_CURSOR', message, { status: 503, cause });

export class SqliteShipCursorStore implements ShipCursorStore {
  readonly #get: StatementSync;
  readonly #advance: StatementSync;

  constructor(db: DatabaseSync) {
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS audit_ship_cursors (
        name TEXT PRIMARY KEY,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        updated_at TEXT NOT NULL
      ) STRICT`);
      this.#get = db.prepare('SELECT seq FROM audit_ship_cursors WHERE name = ?');
      this.#advance = db.prepare(
        `INSERT INTO audit_ship_cursors (name, seq, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at`,
      );
    } catch (cause) {
      throw unavailable('cannot open the audit shipping cursors', cause);
    }
  }

  async get(name: string): Promise<number> {
    try {
      const row = this.#get.get(name) as { seq: number } | undefined;
      return row?.seq ?? 0;
    } catch (cause) {
      throw unavailable('cannot read the audit shipping cursor', cause);
    }
  }

  async advance(name: string, seq: number): Promise<void> {
    try {
      this.#advance.run(name, Math.trunc(seq), new Date().toISOString());
    } catch (cause) {
      throw unavailable('cannot record the audit shipping cursor', cause);
    }
  }
}
