/**
 * SessionBudgetStore in the embedded SQLite state database: one row per session, changed by
 * one UPSERT ... RETURNING (atomic on every connection and process on the file; durable once
 * its autocommit returns). Every fault is ERR_STATE_UNAVAILABLE (503).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { BudgetCharge, BudgetTotals, SessionBudgetStore } from '../../budgets/index.ts';
import { ZERO_TOTALS } from '../../budgets/index.ts';

interface Row {
  steps: number;
  tool_calls: number;
  spend_micros: number;
  identical_run: number;
  denials: number;
}

export class SqliteSessionBudgetStore implements SessionBudgetStore {
  readonly #charge: StatementSync;
  readonly #deny: StatementSync;
  readonly #read: StatementSync;

  constructor(db: DatabaseSync) {
    try {
      db.exec(`CREATE TABLE IF NOT EXISTS session_budgets (
        session_id TEXT PRIMARY KEY,
        steps INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL,
        spend_micros INTEGER NOT NULL,
        fingerprint TEXT,
        identical_run INTEGER NOT NULL,
        denials INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT`);
      const returning = 'RETURNING steps, tool_calls, spend_micros, identical_run, denials';
      this.#charge = db.prepare(`INSERT INTO session_budgets (session_id, steps, tool_calls, spend_micros, fingerprint, identical_run, denials, updated_at)
        VALUES (:id, :steps, :calls, :spend, :fp, CASE WHEN :fp IS NULL THEN 0 ELSE 1 END, 0, :at)
        ON CONFLICT (session_id) DO UPDATE SET
          steps = steps + :steps,
          tool_calls = tool_calls + :calls,
          spend_micros = spend_micros + :spend,
          identical_run = CASE WHEN :fp IS NULL THEN identical_run WHEN fingerprint = :fp THEN identical_run + 1 ELSE 1 END,
          fingerprint = COALESCE(:fp, fingerprint),
          updated_at = :at
        ${returning}`);
      this.#deny = db.prepare(`INSERT INTO session_budgets (session_id, steps, tool_calls, spend_micros, fingerprint, identical_run, denials, updated_at)
        VALUES (?, 0, 0, 0, NULL, 0, 1, ?)
        ON CONFLICT (session_id) DO UPDATE SET denials = denials + 1, updated_at = excluded.updated_at ${returning}`);
      this.#read = db.prepare('SELECT steps, tool_calls, spend_micros, identical_run, denials FROM session_budgets WHERE session_id = ?');
    } catch (cause) {
      throw unavailable('cannot open the session budget store', cause);
    }
  }

  async charge(sessionId: string, charge: BudgetCharge, at: number): Promise<BudgetTotals> {
    return this.#run('cannot charge the session budget', () =>
      this.#charge.get({ id: sessionId, steps: charge.steps, calls: charge.toolCalls, spend: charge.spendMicros, fp: charge.fingerprint, at }),
    );
  }

  async recordDenial(sessionId: string, at: number): Promise<BudgetTotals> {
    return this.#run('cannot count the denial', () => this.#deny.get(sessionId, at));
  }

  async totals(sessionId: string): Promise<BudgetTotals> {
    return this.#run('cannot read the session budget', () => this.#read.get(sessionId));
  }

  #run(message: string, statement: () => unknown): BudgetTotals {
    let row: Row | undefined;
    try {
      row = statement() as Row | undefined;
    } catch (cause) {
      throw unavailable(message, cause);
    }
    if (row === undefined) return { ...ZERO_TOTALS };
    return { steps: Number(row.steps), toolCalls: Number(row.tool_calls), spendMicros: Number(row.spend_micros), identicalRun: Number(row.identical_run), denials: Number(row.denials) };
  }
}

function unavailable(message: string, cause: unknown): AirlockError {
  return new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
}
