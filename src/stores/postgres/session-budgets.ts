/**
 * SessionBudgetStore in PostgreSQL (migration 0009), one budget for every replica: each
 * change is one UPSERT ... RETURNING (the row lock orders concurrent charges of a session;
 * durable once its autocommit returns).
 */
import { AirlockError, isAirlockError } from '../../core/errors.ts';
import type { BudgetCharge, BudgetTotals, SessionBudgetStore } from '../../budgets/index.ts';
import { ZERO_TOTALS } from '../../budgets/index.ts';
import type { PostgresDatabase } from './database.ts';

interface Row extends Record<string, unknown> {
  steps: string;
  tool_calls: string;
  spend_micros: string;
  identical_run: string;
  denials: string;
}

const RETURNING = 'RETURNING steps, tool_calls, spend_micros, identical_run, denials';

export class PostgresSessionBudgetStore implements SessionBudgetStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async charge(sessionId: string, charge: BudgetCharge, at: number): Promise<BudgetTotals> {
    return this.#run('cannot charge the session budget', () =>
      this.#db.query<Row>(
        `INSERT INTO session_budgets AS b (session_id, steps, tool_calls, spend_micros, fingerprint, identical_run, denials, updated_at)
         VALUES ($1, $2, $3, $4, $5::text, CASE WHEN $5::text IS NULL THEN 0 ELSE 1 END, 0, $6)
         ON CONFLICT (session_id) DO UPDATE SET
           steps = b.steps + $2,
           tool_calls = b.tool_calls + $3,
           spend_micros = b.spend_micros + $4,
           identical_run = CASE WHEN $5::text IS NULL THEN b.identical_run WHEN b.fingerprint = $5::text THEN b.identical_run + 1 ELSE 1 END,
           fingerprint = COALESCE($5::text, b.fingerprint),
           updated_at = $6
         ${RETURNING}`,
        [sessionId, charge.steps, charge.toolCalls, charge.spendMicros, charge.fingerprint, at],
      ),
    );
  }

  async recordDenial(sessionId: string, at: number): Promise<BudgetTotals> {
    return this.#run('cannot count the denial', () =>
      this.#db.query<Row>(
        `INSERT INTO session_budgets AS b (session_id, steps, tool_calls, spend_micros, fingerprint, identical_run, denials, updated_at)
         VALUES ($1, 0, 0, 0, NULL, 0, 1, $2)
         ON CONFLICT (session_id) DO UPDATE SET denials = b.denials + 1, updated_at = $2 ${RETURNING}`,
        [sessionId, at],
      ),
    );
  }

  async totals(sessionId: string): Promise<BudgetTotals> {
    return this.#run('cannot read the session budget', () => this.#db.query<Row>('SELECT steps, tool_calls, spend_micros, identical_run, denials FROM session_budgets WHERE session_id = $1', [sessionId]));
  }

  async #run(message: string, work: () => Promise<Row[]>): Promise<BudgetTotals> {
    let row: Row | undefined;
    try {
      row = (await work())[0];
    } catch (cause) {
      if (isAirlockError(cause) && (cause.code === 'ERR_STORE_UNAVAILABLE' || cause.code === 'ERR_STORE_CLOSED')) throw cause;
      throw new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
    }
    if (row === undefined) return { ...ZERO_TOTALS };
    return { steps: Number(row.steps), toolCalls: Number(row.tool_calls), spendMicros: Number(row.spend_micros), identicalRun: Number(row.identical_run), denials: Number(row.denials) };
  }
}
