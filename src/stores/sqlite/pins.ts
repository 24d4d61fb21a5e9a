/**
 * Pins in the embedded SQLite state database (shared by every gateway process and the
 * `airlock mcp tools` commands that use the same config). Each change is one IMMEDIATE
 * transaction — read, apply the shared state machine, write — so concurrent observers and
 * reviewers on any number of connections see one order of events.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import { mcpError } from '../../mcp/errors.ts';
import { applyDecision, applyObservation } from '../../mcp/pins/transitions.ts';
import type { Observation, ObservationResult, PinDecision, PinRecord, PinState, PinStore } from '../../mcp/pins/types.ts';

export class SqlitePinStore implements PinStore {
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;
  readonly #list: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS mcp_pins (
      upstream TEXT NOT NULL,
      tool TEXT NOT NULL,
      state TEXT NOT NULL,
      hash TEXT NOT NULL,
      approved_hash TEXT,
      observed_at INTEGER NOT NULL,
      body TEXT NOT NULL,
      PRIMARY KEY (upstream, tool)
    ) STRICT`);
    this.#select = db.prepare('SELECT body FROM mcp_pins WHERE upstream = ? AND tool = ?');
    this.#upsert = db.prepare(
      `INSERT INTO mcp_pins (upstream, tool, state, hash, approved_hash, observed_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (upstream, tool) DO UPDATE SET state = excluded.state, hash = excluded.hash,
         approved_hash = excluded.approved_hash, observed_at = excluded.observed_at, body = excluded.body`,
    );
    this.#list = db.prepare('SELECT body FROM mcp_pins ORDER BY observed_at, upstream, tool');
  }

  async observe(observation: Observation): Promise<ObservationResult> {
    return this.#transaction(() => {
      const { write, ...result } = applyObservation(this.#read(observation.upstream, observation.tool), observation);
      if (write) this.#write(result.record);
      return result;
    });
  }

  async get(upstream: string, tool: string): Promise<PinRecord | null> {
    return this.#guard(() => this.#read(upstream, tool));
  }

  async list(filter: { upstream?: string; state?: PinState } = {}): Promise<PinRecord[]> {
    const rows = this.#guard(() => this.#list.all()) as Array<{ body: string }>;
    return rows
      .map((row) => JSON.parse(row.body) as PinRecord)
      .filter((r) => (filter.upstream === undefined || r.upstream === filter.upstream) && (filter.state === undefined || r.state === filter.state));
  }

  async decide(decision: PinDecision): Promise<PinRecord> {
    return this.#transaction(() => {
      const next = applyDecision(this.#read(decision.upstream, decision.tool), decision);
      this.#write(next);
      return next;
    });
  }

  #read(upstream: string, tool: string): PinRecord | null {
    const row = this.#select.get(upstream, tool) as { body: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as PinRecord);
  }

  #write(record: PinRecord): void {
    this.#upsert.run(record.upstream, record.tool, record.state, record.hash, record.approved_hash, record.observed_at, JSON.stringify(record));
  }

  #transaction<T>(fn: () => T): T {
    return this.#guard(() => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const out = fn();
        this.#db.exec('COMMIT');
        return out;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      if (cause instanceof AirlockError) throw cause;
      throw mcpError('ERR_MCP_PIN_UNAVAILABLE', undefined, cause);
    }
  }
}
