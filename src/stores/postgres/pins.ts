/**
 * PinStore in PostgreSQL (migration 0002), shared by every gateway replica and the
 * `airlock mcp tools` commands on the same schema. Each change is one transaction that
 * locks the tool's row (SELECT ... FOR UPDATE), applies the shared state machine
 * (src/mcp/pins/transitions.ts) and writes the result, so concurrent observers and
 * reviewers on any replica see one order of events. Two first observations of the same
 * tool race on the primary key; the loser retries and finds the winner's row. Faults are
 * `ERR_MCP_PIN_UNAVAILABLE` (503), like the SQLite adapter.
 */
import { AirlockError } from '../../core/errors.ts';
import { mcpError } from '../../mcp/errors.ts';
import { applyDecision, applyObservation } from '../../mcp/pins/transitions.ts';
import type { Observation, ObservationResult, PinDecision, PinRecord, PinState, PinStore } from '../../mcp/pins/types.ts';
import { sqlState, type PostgresDatabase, type PostgresTx } from './database.ts';

/** Attempts of a change whose first insert lost a race to another replica's insert. */
const INSERT_RACE_ATTEMPTS = 3;

export class PostgresPinStore implements PinStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Records what the upstream serves now: read (row locked), compare, write, in one
   * transaction. Resolves after the commit; a rejection leaves the stored record as it was.
   */
  async observe(observation: Observation): Promise<ObservationResult> {
    return this.#change(async (tx) => {
      const current = await this.#read(tx, observation.upstream, observation.tool, true);
      const { write, ...result } = applyObservation(current, observation);
      if (write) await this.#write(tx, result.record, current === null);
      return result;
    });
  }

  /** The committed record, or null. */
  async get(upstream: string, tool: string): Promise<PinRecord | null> {
    return this.#guard(() => this.#read(this.#db, upstream, tool, false));
  }

  /** Committed records, oldest observation first (ties: upstream, tool, byte order). */
  async list(filter: { upstream?: string; state?: PinState } = {}): Promise<PinRecord[]> {
    const rows = await this.#guard(() =>
      this.#db.query<{ body: string }>(
        `SELECT body FROM mcp_pins WHERE ($1::text IS NULL OR upstream = $1) AND ($2::text IS NULL OR state = $2)
         ORDER BY observed_at, upstream COLLATE "C", tool COLLATE "C"`,
        [filter.upstream ?? null, filter.state ?? null],
      ),
    );
    return rows.map((row) => JSON.parse(row.body) as PinRecord);
  }

  /**
   * Approves or rejects the observed definition if it still has the reviewed hash, in one
   * transaction holding the row's lock (compare and set). ERR_MCP_PIN_NOT_FOUND /
   * ERR_MCP_PIN_STALE change nothing.
   */
  async decide(decision: PinDecision): Promise<PinRecord> {
    return this.#change(async (tx) => {
      const next = applyDecision(await this.#read(tx, decision.upstream, decision.tool, true), decision);
      await this.#write(tx, next, false);
      return next;
    });
  }

  /** The record; with `lock`, its row stays locked (FOR UPDATE) until the transaction ends. */
  async #read(q: PostgresTx, upstream: string, tool: string, lock: boolean): Promise<PinRecord | null> {
    const rows = await q.query<{ body: string }>(
      `SELECT body FROM mcp_pins WHERE upstream = $1 AND tool = $2${lock ? ' FOR UPDATE' : ''}`,
      [upstream, tool],
    );
    return rows[0] === undefined ? null : (JSON.parse(rows[0].body) as PinRecord);
  }

  async #write(tx: PostgresTx, record: PinRecord, isNew: boolean): Promise<void> {
    const params = [record.upstream, record.tool, record.state, record.hash, record.approved_hash, record.observed_at, JSON.stringify(record)];
    if (isNew) {
      // No row to lock yet: a concurrent first observation makes this fail with 23505 (retried).
      await tx.query('INSERT INTO mcp_pins (upstream, tool, state, hash, approved_hash, observed_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)', params);
    } else {
      await tx.query(
        'UPDATE mcp_pins SET state = $3, hash = $4, approved_hash = $5, observed_at = $6, body = $7 WHERE upstream = $1 AND tool = $2',
        params,
      );
    }
  }

  async #change<T>(body: (tx: PostgresTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction(body);
      } catch (error) {
        if (sqlState(error) === '23505' && attempt < INSERT_RACE_ATTEMPTS) continue;
        throw this.#fault(error);
      }
    }
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#fault(error);
    }
  }

  #fault(error: unknown): AirlockError {
    // The state machine's own refusals (not found, stale) pass through; anything else is a store fault.
    if (error instanceof AirlockError && error.code.startsWith('ERR_MCP_')) return error;
    return mcpError('ERR_MCP_PIN_UNAVAILABLE', undefined, error);
  }
}
