/**
 * Pins in the embedded SQLite state database (shared by every gateway process and the
 * `airlock mcp tools` commands that use the same config). Each change is one IMMEDIATE
 * transaction — read, apply the shared state machine, write — so concurrent observers and
 * reviewers on any number of connections see one order of events.
 *
 * `get` (asked on every call of an MCP tool) answers from the records it read before, frozen,
 * as long as nothing changed them: the remembered records belong to the connection (every
 * store on it shares them, and a change through any of them forgets them all), and
 * `PRAGMA data_version` tells, at every `get`, whether another connection - another gateway
 * process, an `airlock mcp tools` command, another connection of this process - committed to
 * the database since; if one did, everything remembered is dropped and read again. So a
 * definition changed, refused or revoked anywhere counts at the next call, as before.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import { deepFreeze } from '../../core/freeze.ts';
import { mcpError } from '../../mcp/errors.ts';
import { applyDecision, applyObservation } from '../../mcp/pins/transitions.ts';
import type { Observation, ObservationResult, PinDecision, PinRecord, PinState, PinStore } from '../../mcp/pins/types.ts';

/** Pins read on one connection, valid while its data_version stays `version`. */
interface ReadPins {
  version: number | bigint | null;
  records: Map<string, PinRecord | null>;
}

const readPins = new WeakMap<DatabaseSync, ReadPins>();
/** Most records remembered per connection (a gateway has one per upstream tool). */
const MAX_REMEMBERED = 10_000;

export class SqlitePinStore implements PinStore {
  readonly #db: DatabaseSync;
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;
  readonly #list: StatementSync;
  readonly #dataVersion: StatementSync;
  readonly #read: ReadPins;

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
    this.#dataVersion = db.prepare('PRAGMA data_version');
    let read = readPins.get(db);
    if (read === undefined) {
      read = { version: null, records: new Map() };
      readPins.set(db, read);
    }
    this.#read = read;
  }

  async observe(observation: Observation): Promise<ObservationResult> {
    return this.#transaction(() => {
      const { write, ...result } = applyObservation(this.#row(observation.upstream, observation.tool), observation);
      if (write) this.#write(result.record);
      return result;
    });
  }

  /** The record as last committed by any connection (see the header); frozen. */
  async get(upstream: string, tool: string): Promise<PinRecord | null> {
    return this.#guard(() => {
      const read = this.#read;
      const version = (this.#dataVersion.get() as { data_version: number | bigint }).data_version;
      if (version !== read.version) {
        read.records.clear();
        read.version = version;
      }
      const key = JSON.stringify([upstream, tool]);
      const known = read.records.get(key);
      if (known !== undefined) return known;
      const record = this.#row(upstream, tool);
      const frozen = record === null ? null : deepFreeze(record);
      if (read.records.size >= MAX_REMEMBERED) read.records.clear();
      read.records.set(key, frozen);
      return frozen;
    });
  }

  async list(filter: { upstream?: string; state?: PinState } = {}): Promise<PinRecord[]> {
    const rows = this.#guard(() => this.#list.all()) as Array<{ body: string }>;
    return rows
      .map((row) => JSON.parse(row.body) as PinRecord)
      .filter((r) => (filter.upstream === undefined || r.upstream === filter.upstream) && (filter.state === undefined || r.state === filter.state));
  }

  async decide(decision: PinDecision): Promise<PinRecord> {
    return this.#transaction(() => {
      const next = applyDecision(this.#row(decision.upstream, decision.tool), decision);
      this.#write(next);
      return next;
    });
  }

  #row(upstream: string, tool: string): PinRecord | null {
    const row = this.#select.get(upstream, tool) as { body: string } | undefined;
    return row === undefined ? null : (JSON.parse(row.body) as PinRecord);
  }

  #write(record: PinRecord): void {
    this.#upsert.run(record.upstream, record.tool, record.state, record.hash, record.approved_hash, record.observed_at, JSON.stringify(record));
  }

  #transaction<T>(fn: () => T): T {
    // A change through this connection does not move its data_version: forget what was read (committed or not).
    this.#read.records.clear();
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
