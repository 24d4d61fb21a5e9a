/**
 * IdempotencyStore in PostgreSQL (migration 0008), shared by every replica of a fleet. A
 * claim is one `INSERT ... ON CONFLICT (scope) DO NOTHING RETURNING`: the unique scope makes
 * concurrent claims on any number of pools resolve to exactly one inserted row, durable once
 * the statement's autocommit returns. Settle, release and resolve are single conditional
 * statements (the condition in the WHERE clause: compare-and-set under row locks). Faults are
 * ERR_STORE_UNAVAILABLE (from the database layer) or ERR_STATE_UNAVAILABLE (503).
 */
import { AirlockError, isAirlockError } from '../../core/errors.ts';
import type { ClaimResult, IdempotencyRecord, IdempotencyResolution, IdempotencyState, IdempotencyStore, SettleInput } from '../../idempotency/index.ts';
import type { PostgresDatabase } from './database.ts';

interface Row extends Record<string, unknown> {
  body: IdempotencyRecord;
}

export class PostgresIdempotencyStore implements IdempotencyStore {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  async claim(record: IdempotencyRecord): Promise<ClaimResult> {
    return this.#guard('cannot claim the idempotency key', async () => {
      // A holder that settles and is released between the INSERT and the read is claimed anew.
      for (let attempt = 0; attempt < 3; attempt++) {
        const inserted = await this.#db.query<Row>(
          `INSERT INTO idempotency_records (id, scope, tenant, state, action_id, lease_until, created_at, updated_at, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (scope) DO NOTHING RETURNING body`,
          [record.id, record.scope, record.owner.tenant, record.state, record.action_id, record.lease_until, record.created_at, record.updated_at, JSON.stringify(record)],
        );
        if (inserted.length === 1) return { claimed: true, record: inserted[0]?.body as IdempotencyRecord };
        const holder = await this.find(record.scope);
        if (holder !== null) return { claimed: false, record: holder };
      }
      throw new Error('the idempotency scope changed hands repeatedly during the claim');
    });
  }

  async find(scope: string): Promise<IdempotencyRecord | null> {
    return this.#guard('cannot read idempotency records', async () => (await this.#db.query<Row>('SELECT body FROM idempotency_records WHERE scope = $1', [scope]))[0]?.body ?? null);
  }

  async get(id: string): Promise<IdempotencyRecord | null> {
    return this.#guard('cannot read idempotency records', async () => (await this.#db.query<Row>('SELECT body FROM idempotency_records WHERE id = $1', [id]))[0]?.body ?? null);
  }

  async settle(id: string, actionId: string, input: SettleInput): Promise<IdempotencyRecord | null> {
    return this.#guard('cannot settle the idempotency record', async () => {
      const rows = await this.#db.query<Row>(
        `UPDATE idempotency_records SET state = $3, updated_at = $4,
           body = body || jsonb_build_object('state', $3::text, 'updated_at', $4::bigint, 'outcome', $5::jsonb)
         WHERE id = $1 AND state = 'pending' AND action_id = $2 RETURNING body`,
        [id, actionId, input.state, input.at, JSON.stringify(input.outcome)],
      );
      return rows[0]?.body ?? null;
    });
  }

  async release(id: string, actionId: string): Promise<boolean> {
    return this.#guard('cannot release the idempotency key', async () => {
      const rows = await this.#db.query("DELETE FROM idempotency_records WHERE id = $1 AND state = 'pending' AND action_id = $2 RETURNING 1 AS one", [id, actionId]);
      return rows.length === 1;
    });
  }

  async resolve(id: string, resolution: IdempotencyResolution, now: number): Promise<IdempotencyRecord | null> {
    const unknown = "(state = 'outcome_unknown' OR (state = 'pending' AND lease_until < $2))";
    return this.#guard('cannot resolve the idempotency record', async () => {
      if (resolution.outcome === 'not_executed') {
        const rows = await this.#db.query<Row>(`DELETE FROM idempotency_records WHERE id = $1 AND ${unknown} RETURNING body`, [id, now]);
        const gone = rows[0]?.body;
        return gone === undefined ? null : { ...gone, resolution, updated_at: resolution.at };
      }
      const rows = await this.#db.query<Row>(
        `UPDATE idempotency_records SET state = 'completed', updated_at = $3,
           body = body || jsonb_build_object('state', 'completed', 'updated_at', $3::bigint, 'resolution', $4::jsonb, 'outcome', '{"result_omitted": true}'::jsonb)
         WHERE id = $1 AND ${unknown} RETURNING body`,
        [id, now, resolution.at, JSON.stringify(resolution)],
      );
      return rows[0]?.body ?? null;
    });
  }

  async list(tenant: string, filter: { state?: IdempotencyState; limit?: number } = {}): Promise<IdempotencyRecord[]> {
    const limit = filter.limit ?? 100;
    return this.#guard('cannot read idempotency records', async () => {
      const rows =
        filter.state === undefined
          ? await this.#db.query<Row>('SELECT body FROM idempotency_records WHERE tenant = $1 ORDER BY created_at DESC, id DESC LIMIT $2', [tenant, limit])
          : await this.#db.query<Row>('SELECT body FROM idempotency_records WHERE tenant = $1 AND state = $2 ORDER BY created_at DESC, id DESC LIMIT $3', [tenant, filter.state, limit]);
      return rows.map((r) => r.body);
    });
  }

  async purge(before: number): Promise<number> {
    return this.#guard('cannot purge idempotency records', async () => (await this.#db.query("DELETE FROM idempotency_records WHERE state IN ('completed', 'failed') AND updated_at < $1 RETURNING 1 AS one", [before])).length);
  }

  async #guard<T>(message: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (cause) {
      if (isAirlockError(cause) && (cause.code === 'ERR_STORE_UNAVAILABLE' || cause.code === 'ERR_STORE_CLOSED')) throw cause;
      throw new AirlockError('ERR_STATE_UNAVAILABLE', message, { cause, status: 503 });
    }
  }
}
