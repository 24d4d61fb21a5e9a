/**
 * Approval requests in the embedded SQLite state database. The request body is stored
 * as JSON; tenant, state and times are columns so reviewers' listings are indexed.
 * State changes are one conditional UPDATE (`WHERE id = ? AND state = ?`): SQLite serializes
 * writers, so of concurrent transitions out of one state exactly one changes a row, on any
 * number of connections.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AirlockError } from '../../core/errors.ts';
import type { ApprovalBacklog, ApprovalPatch, ApprovalRequest, ApprovalStore } from '../../approvals/types.ts';

export class SqliteApprovalStore implements ApprovalStore, ApprovalBacklog {
  readonly #insert: StatementSync;
  readonly #select: StatementSync;
  readonly #listAll: StatementSync;
  readonly #listState: StatementSync;
  readonly #transition: StatementSync;
  readonly #backlog: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(`CREATE TABLE IF NOT EXISTS approval_requests (
      id TEXT PRIMARY KEY,
      tenant TEXT NOT NULL,
      state TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS approval_requests_tenant_state ON approval_requests (tenant, state, created_at)`);
    this.#insert = db.prepare(
      'INSERT INTO approval_requests (id, tenant, state, created_at, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#select = db.prepare('SELECT state, body FROM approval_requests WHERE id = ?');
    this.#listAll = db.prepare('SELECT state, body FROM approval_requests WHERE tenant = ? ORDER BY created_at, id');
    this.#listState = db.prepare(
      'SELECT state, body FROM approval_requests WHERE tenant = ? AND state = ? ORDER BY created_at, id',
    );
    this.#backlog = db.prepare(
      `SELECT tenant, COUNT(*) AS count, MIN(created_at) AS oldest FROM approval_requests
       WHERE state = 'pending' AND expires_at > ? GROUP BY tenant ORDER BY tenant`,
    );
    this.#transition = db.prepare(
      'UPDATE approval_requests SET state = ?, body = json_patch(body, ?) WHERE id = ? AND state = ?',
    );
  }

  async transition(
    id: string,
    from: ApprovalRequest['state'],
    to: ApprovalRequest['state'],
    patch: ApprovalPatch = {},
  ): Promise<boolean> {
    const body = JSON.stringify({ ...patch, state: to });
    let changes: number | bigint;
    try {
      changes = this.#transition.run(to, body, id, from).changes;
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot update the approval request', { cause, status: 503 });
    }
    return Number(changes) === 1;
  }

  async create(request: ApprovalRequest): Promise<void> {
    try {
      this.#insert.run(request.id, request.tenant, request.state, request.created_at, request.expires_at, JSON.stringify(request));
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot store the approval request', { cause, status: 503 });
    }
  }

  async get(id: string): Promise<ApprovalRequest | null> {
    const row = this.#run(() => this.#select.get(id)) as { state: string; body: string } | undefined;
    return row === undefined ? null : rowToRequest(row);
  }

  async list(filter: { tenant: string; state?: ApprovalRequest['state'] }): Promise<ApprovalRequest[]> {
    const rows = this.#run(() =>
      filter.state === undefined ? this.#listAll.all(filter.tenant) : this.#listState.all(filter.tenant, filter.state),
    ) as Array<{ state: string; body: string }>;
    return rows.map(rowToRequest);
  }

  async pendingByTenant(now: number): Promise<Array<{ tenant: string; count: number; oldestCreatedAt: number }>> {
    const rows = this.#run(() => this.#backlog.all(now)) as Array<{ tenant: string; count: number; oldest: number }>;
    return rows.map((r) => ({ tenant: r.tenant, count: Number(r.count), oldestCreatedAt: Number(r.oldest) }));
  }

  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot read approval requests', { cause, status: 503 });
    }
  }
}

function rowToRequest(row: { state: string; body: string }): ApprovalRequest {
  const request = JSON.parse(row.body) as ApprovalRequest;
  request.state = row.state as ApprovalRequest['state'];
  return request;
}
