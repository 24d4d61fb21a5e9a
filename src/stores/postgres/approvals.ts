/**
 * Approval requests in PostgreSQL (table `approval_requests`, migration 0001_state): the
 * ApprovalStore and its ApprovalBacklog capability, shared by every replica of a gateway.
 *
 * The request as created is a JSON `body`; tenant, state and times are columns so reviewers'
 * listings and the backlog gauge are indexed. A transition is one conditional statement
 * (`UPDATE ... WHERE id = $1 AND state = $2`) that moves the state and appends the
 * transition's patch to `patches`; a read applies the patches in order over the body. Under
 * READ COMMITTED a second concurrent UPDATE of the row waits for the first to commit and
 * then re-tests `state = $2` against the committed row, so of any number of transitions out
 * of one state — on any connection of any replica — exactly one changes the row.
 *
 * Every method runs one statement outside any explicit transaction: it is its own atomic
 * transaction, and its promise resolves only after PostgreSQL has committed it (durable under
 * the server's `synchronous_commit`). Faults are `ERR_STORE_UNAVAILABLE` (503).
 */
import { AirlockError } from '../../core/errors.ts';
import type { ApprovalBacklog, ApprovalPatch, ApprovalRequest, ApprovalStore } from '../../approvals/index.ts';
import { type PostgresDatabase, sqlState, storableText, storeFault } from './database.ts';

interface Row extends Record<string, unknown> {
  state: string;
  body: string;
  patches: string[];
}

const COLUMNS = 'state, body, patches';

export class PostgresApprovalStore implements ApprovalStore, ApprovalBacklog {
  readonly #db: PostgresDatabase;

  constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /**
   * Inserts the request. Atomic (one INSERT) and committed before it resolves. Rejects with
   * `ERR_APPROVAL_DUPLICATE` (409) when the id exists, leaving the stored request untouched;
   * with `ERR_STORE_UNAVAILABLE` when the database fails, in which case nothing was stored —
   * unless the answer to a sent INSERT was lost, when the request may exist (`get` tells).
   */
  async create(request: ApprovalRequest): Promise<void> {
    try {
      await this.#db.query(
        'INSERT INTO approval_requests (id, tenant, state, created_at, expires_at, body) VALUES ($1, $2, $3, $4, $5, $6)',
        [request.id, request.tenant, request.state, request.created_at, request.expires_at, JSON.stringify(request)],
      );
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw new AirlockError('ERR_APPROVAL_DUPLICATE', 'an approval request with that id exists', { status: 409, cause: error });
      }
      throw storeFault(error, 'cannot store the approval request');
    }
  }

  /** The committed request (every committed transition applied), or null. One read; changes nothing. */
  async get(id: string): Promise<ApprovalRequest | null> {
    if (!storableText(id)) return null;
    const rows = await this.#read(`SELECT ${COLUMNS} FROM approval_requests WHERE id = $1`, [id]);
    return rows[0] === undefined ? null : fromRow(rows[0]);
  }

  /** Committed requests of the tenant (in `state` when given), oldest `created_at` first, then by id. One read. */
  async list(filter: { tenant: string; state?: ApprovalRequest['state'] }): Promise<ApprovalRequest[]> {
    if (!storableText(filter.tenant)) return [];
    const rows =
      filter.state === undefined
        ? await this.#read(`SELECT ${COLUMNS} FROM approval_requests WHERE tenant = $1 ORDER BY created_at, id`, [filter.tenant])
        : await this.#read(`SELECT ${COLUMNS} FROM approval_requests WHERE tenant = $1 AND state = $2 ORDER BY created_at, id`, [
            filter.tenant,
            filter.state,
          ]);
    return rows.map(fromRow);
  }

  /**
   * Per tenant (sorted by tenant), the committed requests in state `pending` whose `expires_at`
   * is after `now`, with the oldest `created_at`. One aggregate read (one snapshot); changes nothing.
   */
  async pendingByTenant(now: number): Promise<Array<{ tenant: string; count: number; oldestCreatedAt: number }>> {
    const rows = await this.#db
      .query<{ tenant: string; count: string; oldest: string }>(
        `SELECT tenant, count(*) AS count, min(created_at) AS oldest FROM approval_requests
         WHERE state = 'pending' AND expires_at > $1 GROUP BY tenant ORDER BY tenant`,
        [now],
      )
      .catch((error: unknown) => {
        throw storeFault(error, 'cannot read approval requests');
      });
    return rows.map((r) => ({ tenant: r.tenant, count: Number(r.count), oldestCreatedAt: Number(r.oldest) }));
  }

  /**
   * Compare-and-set in one UPDATE: moves request `id` from `from` to `to` and records `patch`
   * (a shallow merge over the request) only if its committed state is `from`. Resolves true
   * after this call's change is committed; false when the request is missing or not in `from`
   * (nothing changed). Atomic across connections, pools and processes: of concurrent
   * transitions out of one state exactly one resolves true. A statement that fails changes
   * nothing (`ERR_STORE_UNAVAILABLE`); when the answer to a sent statement is lost the caller
   * cannot tell whether it took effect and must re-read with `get` (a consumption whose
   * answer was lost is treated as not granted: the call fails closed).
   */
  async transition(
    id: string,
    from: ApprovalRequest['state'],
    to: ApprovalRequest['state'],
    patch: ApprovalPatch = {},
  ): Promise<boolean> {
    if (!storableText(id)) return false;
    try {
      const rows = await this.#db.query(
        'UPDATE approval_requests SET state = $3, patches = array_append(patches, $4::text) WHERE id = $1 AND state = $2 RETURNING 1 AS changed',
        [id, from, to, JSON.stringify(patch)],
      );
      return rows.length === 1;
    } catch (error) {
      throw storeFault(error, 'cannot update the approval request');
    }
  }

  async #read(text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return await this.#db.query<Row>(text, params);
    } catch (error) {
      throw storeFault(error, 'cannot read approval requests');
    }
  }
}

/** The body as created, each transition's patch merged over it in order, the state column last. */
function fromRow(row: Row): ApprovalRequest {
  let request = JSON.parse(row.body) as ApprovalRequest;
  for (const patch of row.patches) request = { ...request, ...(JSON.parse(patch) as ApprovalPatch) };
  request.state = row.state as ApprovalRequest['state'];
  return request;
}
