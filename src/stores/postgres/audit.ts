/**
 * PostgresAuditStore: the audit log on PostgreSQL, shared by every gateway replica as ONE
 * hash-chained log (tables of migration 0003_audit). Events are sealed, hashed and stored by
 * the code of src/audit (event-record.ts), so the log verifies with the same verifyChain as
 * the SQLite log and holds the same canonical bodies.
 *
 * Design: one chain across replicas.
 * - Serialized chain head: `audit_head` is a one-row table (seq, hash). Every appending
 *   transaction locks it first (`SELECT ... FOR UPDATE`), reads the head, seals its events onto
 *   it (seq head+1.., prev_hash, hash), inserts them and their refs, moves the head and commits.
 *   Another replica's transaction waits on the row lock until then, so seqs are gap-free and
 *   the chain never forks, whichever replica appends.
 * - Group commit per replica (src/audit/group-commit.ts): while one batch commits, new appends
 *   queue and go into the next batch, one transaction per batch, so the row lock is taken once
 *   per batch, not per event. A batch is four round trips: BEGIN, lock+read the head, one
 *   statement inserting the events, their refs (and the signed checkpoint) and moving the head,
 *   COMMIT. `ts` is taken from the (injectable) clock inside the transaction, after the lock.
 * - Durability: append() resolves only after COMMIT succeeded. With `synchronous_commit` on
 *   (and `fsync` on) PostgreSQL's commit is flushed to its WAL before it answers; open refuses
 *   with ERR_AUDIT_DURABILITY when either is off, and every batch re-reads the setting of its
 *   own connection under the lock (a session that turned it off refuses the batch).
 * - Failure: a batch that fails before COMMIT leaves nothing (the transaction is rolled back, or
 *   its connection is gone and the server aborts it) and every append of the batch rejects with
 *   ERR_AUDIT_UNAVAILABLE. When the COMMIT itself gets no answer (connection lost), the outcome
 *   is resolved before anyone is answered: a new transaction takes the head lock — which the lost
 *   transaction holds until it has committed or aborted — and looks for the batch's event ids.
 *   Found (with their hashes): the batch committed and is acknowledged. Absent: rejected. No
 *   answer either: rejected with details.outcome = 'unknown' (the events may exist, but were
 *   never acknowledged). So an event is never acknowledged and then lost.
 * - Lookups: findRelated is one statement whose branches each use an index (request, action,
 *   parent action, session, trace, event id, and `audit_refs(ref, seq)`); read pages by seq.
 * - Signed checkpoints (with `checkpointKey`, same HMAC as the SQLite store's file): the signed
 *   head is written to `audit_checkpoint` in the same transaction as each batch, so it always
 *   attests exactly what is committed. At open the checkpoint must be validly signed and held by
 *   the log, and everything after it must chain onto it (ERR_AUDIT_TAMPERED otherwise).
 * - The store does not own the PostgresDatabase pool: close() commits what is queued and stops
 *   accepting appends; whoever opened the pool closes it.
 */
import { systemClock } from '../../core/clock.ts';
import type { Clock } from '../../core/clock.ts';
import { AirlockError, isAirlockError } from '../../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../../core/types.ts';
import type { AuditStore } from '../../audit/index.ts';
import { GENESIS_HASH, verifyChain } from '../../audit/chain.ts';
import type { ChainHead, ChainVerification } from '../../audit/chain.ts';
import { assertCheckpointKey, isCheckpointShape, signCheckpoint, verifyCheckpointSignature } from '../../audit/checkpoint.ts';
import type { Checkpoint } from '../../audit/checkpoint.ts';
import { newEventIds } from '../../audit/event-ids.ts';
import { decodeStoredEvent, eventOf, prepareAppend, sealRecord } from '../../audit/event-record.ts';
import type { PreparedInput, SealMeta, StoredEventRecord } from '../../audit/event-record.ts';
import { GroupCommitQueue } from '../../audit/group-commit.ts';
import type { BatchInfo } from '../../audit/group-commit.ts';
import { readAll } from '../../audit/read-all.ts';
import { relatesTo } from '../../audit/related.ts';
import { finishSearch, normalizeSearch, planSearch } from '../../audit/search.ts';
import type { AuditSearchPage, AuditSearchQuery, NormalizedSearch, SearchPlan } from '../../audit/search.ts';
import type { PrunableAuditStore, PruneBatch } from '../../audit/retention/store.ts';
import { commitPrunePostgres } from './audit-prune.ts';
import { sqlState } from './database.ts';
import type { PostgresDatabase, PostgresTx } from './database.ts';

/** What the store needs of the pool (a PostgresDatabase; tests may wrap one). */
export type PostgresAuditDatabase = Pick<PostgresDatabase, 'query' | 'transaction'>;

export interface PostgresAuditStoreOptions {
  /** HMAC key (>= 32 bytes) for signed checkpoints. Without it no checkpoint is kept or checked. */
  checkpointKey?: Uint8Array;
  /** Source of `ts` (read inside each batch's transaction). */
  clock?: Clock;
  /** Most events per transaction (an append larger than this is committed alone). Default 1024. */
  maxBatch?: number;
  /** Start checkpointing a non-empty log that has no checkpoint yet (after verifying it). */
  adoptExistingLog?: boolean;
  /** Observer called after every batch (metrics, benchmarks). */
  onBatch?: (info: BatchInfo) => void;
  /** Commit a long queue in two halves (see GroupCommitQueue); default false: each commit takes the shared head lock. */
  splitLargeQueues?: boolean;
  /** Called once the store closed (after the queue is flushed): the owner closing a pool opened for this store alone. */
  release?: () => Promise<void>;
  /**
   * Test hook: runs inside a batch's transaction after its writes, before COMMIT (a fault
   * injected here happens mid-batch). Never set in production.
   */
  beforeCommitForTest?: (tx: PostgresTx, batch: { firstSeq: number; events: number }) => Promise<void>;
}

export interface PostgresAuditStats {
  batches: number;
  failedBatches: number;
  appends: number;
  events: number;
  maxBatchEvents: number;
  /** Batches whose COMMIT got no answer and whose outcome was then looked up. */
  commitsResolved: number;
  pendingEvents: number;
}

const DEFAULT_MAX_BATCH = 1024;

const COLUMNS = 'seq, event_id, ts, type, request_id, action_id, parent_action_id, session_id, trace_id, body, prev_hash, hash';

/** Locks the chain head for this transaction; also reads this connection's synchronous_commit. */
const LOCK_HEAD_SQL = `SELECT seq, hash, current_setting('synchronous_commit') AS synchronous_commit FROM audit_head WHERE id = 1 FOR UPDATE`;

/** One statement writing a whole batch: events, refs, (checkpoint,) head. */
function writeBatchSql(withCheckpoint: boolean): string {
  const checkpoint = withCheckpoint
    ? `, cp AS (
  INSERT INTO audit_checkpoint (id, seq, hash, ts, mac) VALUES (1, $15, $16, $17, $18)
  ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, ts = EXCLUDED.ts, mac = EXCLUDED.mac
  WHERE audit_checkpoint.seq < EXCLUDED.seq
)`
    : '';
  return `WITH ev AS (
  INSERT INTO audit_events (${COLUMNS})
  SELECT u.seq, u.event_id, $3::text, u.type, u.request_id, u.action_id, u.parent_action_id, u.session_id, u.trace_id, u.body, u.prev_hash, u.hash
  FROM unnest($1::bigint[], $2::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
    AS u(seq, event_id, type, request_id, action_id, parent_action_id, session_id, trace_id, body, prev_hash, hash)
), rf AS (
  INSERT INTO audit_refs (ref, seq) SELECT * FROM unnest($13::text[], $14::bigint[])
)${checkpoint}
UPDATE audit_head SET seq = $1[cardinality($1)], hash = $12[cardinality($12)] WHERE id = 1`;
}

/**
 * Events related to $1 (see related.ts; exported for the plan test). Each UNION branch is an index lookup; an OR across
 * the columns plus the refs table would make the planner filter a scan instead.
 */
export const RELATED_SQL = `SELECT ${COLUMNS} FROM audit_events WHERE seq IN (
  SELECT seq FROM audit_events WHERE request_id = $1
  UNION SELECT seq FROM audit_events WHERE action_id = $1
  UNION SELECT seq FROM audit_events WHERE parent_action_id = $1
  UNION SELECT seq FROM audit_events WHERE session_id = $1
  UNION SELECT seq FROM audit_events WHERE trace_id = $1
  UNION SELECT seq FROM audit_events WHERE event_id = $1
  UNION SELECT seq FROM audit_refs WHERE ref = $1
) ORDER BY seq`;

type Row = Record<string, unknown>;

function unavailable(message: string, cause?: unknown, details?: Record<string, unknown>): AirlockError {
  return new AirlockError('ERR_AUDIT_UNAVAILABLE', message, { status: 503, cause, ...(details === undefined ? {} : { details }) });
}

function durability(message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_DURABILITY', message, { status: 503 });
}

function corruptRow(seq: unknown, message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_CORRUPT', message, { status: 500, details: { seq: typeof seq === 'number' ? seq : null } });
}

function tampered(message: string, details: Record<string, unknown> = {}): AirlockError {
  return new AirlockError('ERR_AUDIT_TAMPERED', message, { status: 503, details });
}

function chainTampered(result: ChainVerification, message: string): AirlockError {
  const bad = result.firstBad;
  return tampered(`${message}${bad === undefined ? '' : `: ${bad.reason} at seq ${bad.seq}`}`, { ...bad });
}

/** A bigint column (the driver hands it over as a string) as a safe integer, or null. */
function toSeq(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

function text(row: Row, seq: number, column: string, nullable: boolean): string | null {
  const value = row[column];
  if (typeof value === 'string') return value;
  if (nullable && value === null) return null;
  throw corruptRow(seq, `audit row ${seq} column ${column} has the wrong type`);
}

function rowToRecord(row: Row): StoredEventRecord {
  const seq = toSeq(row.seq);
  if (seq === null) throw corruptRow(null, 'audit row has a malformed seq');
  return {
    seq,
    event_id: text(row, seq, 'event_id', false) as string,
    ts: text(row, seq, 'ts', false) as string,
    type: text(row, seq, 'type', false) as string,
    request_id: text(row, seq, 'request_id', false) as string,
    action_id: text(row, seq, 'action_id', true),
    parent_action_id: text(row, seq, 'parent_action_id', true),
    session_id: text(row, seq, 'session_id', true),
    trace_id: text(row, seq, 'trace_id', false) as string,
    body: text(row, seq, 'body', false) as string,
    prev_hash: text(row, seq, 'prev_hash', false) as string,
    hash: text(row, seq, 'hash', false) as string,
  };
}

const decodeRow = (row: Row): AuditEvent => decodeStoredEvent(rowToRecord(row));

/**
 * Bodies jsonb cannot hold (a `\u0000` escape, or an escaped surrogate): their JSON filters
 * are left to matchesSearch instead of failing the whole statement on the cast.
 */
const NOT_JSONB = '\\\\u(0000|[dD][89a-fA-F])';

/**
 * The SQL of one search call: the plan's seq window (primary key), `ts` and `type` columns,
 * the body cast to jsonb for the rest. Candidates only: matchesSearch has the last word.
 */
function searchSql(q: NormalizedSearch, plan: SearchPlan): { sql: string; params: unknown[] } {
  const params: unknown[] = [plan.lo, plan.hi, NOT_JSONB];
  const column: string[] = [];
  const json: string[] = [];
  const add = (into: string[], clause: (p: string) => string, value: string | null) => {
    if (value === null) return;
    params.push(value);
    into.push(clause(`$${params.length}::text`));
  };
  add(column, (p) => `ts COLLATE "C" >= ${p}`, q.from);
  add(column, (p) => `ts COLLATE "C" < ${p}`, q.to);
  add(column, (p) => `type = ${p}`, q.type);
  add(json, (p) => `j->'actor'->>'tenant' = ${p}`, q.tenant);
  add(json, (p) => `j->'actor'->>'user' = ${p}`, q.user);
  add(json, (p) => `j->'actor'->>'agent' = ${p}`, q.agent);
  add(json, (p) => `j->>'tool' = ${p}`, q.tool);
  add(json, (p) => `j->'decision'->>'outcome' = ${p}`, q.outcome);
  add(
    json,
    (p) => `jsonb_typeof(j->'decision'->'reasons') = 'array' AND j->'decision'->'reasons' @> jsonb_build_array(jsonb_build_object('policy_id', ${p}))`,
    q.rule,
  );
  const where = [...column, ...(json.length === 0 ? [] : [`(j IS NULL OR (${json.join(' AND ')}))`])];
  params.push(q.limit);
  const sql =
    `SELECT ${COLUMNS} FROM (SELECT ${COLUMNS}, CASE WHEN body ~ $3 THEN NULL ELSE body::jsonb END AS j ` +
    `FROM audit_events WHERE seq BETWEEN $1 AND $2) AS e` +
    (where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`) +
    ` ORDER BY seq ${plan.descending ? 'DESC' : 'ASC'} LIMIT $${params.length}`;
  return { sql, params };
}

/** A batch sealed onto the head read under the lock. */
interface SealedBatch {
  firstSeq: number;
  /** prev_hash of the first event. */
  prevHash: string;
  ts: string;
  eventIds: string[];
  hashes: string[];
}

function headOf(row: Row | undefined): ChainHead {
  const seq = toSeq(row?.seq);
  if (row === undefined || seq === null || typeof row.hash !== 'string') {
    throw new AirlockError('ERR_AUDIT_SCHEMA', 'audit_head row is missing or malformed (are the postgresql migrations applied?)', { status: 503 });
  }
  return { seq, hash: row.hash };
}

function checkpointOf(row: Row | undefined): Checkpoint | null {
  if (row === undefined) return null;
  const candidate = { seq: toSeq(row.seq), hash: row.hash, ts: row.ts, mac: row.mac };
  if (!isCheckpointShape(candidate)) throw new AirlockError('ERR_AUDIT_CHECKPOINT', 'audit_checkpoint row is malformed', { status: 503 });
  return candidate;
}

export class PostgresAuditStore implements AuditStore, PrunableAuditStore {
  readonly #db: PostgresAuditDatabase;
  readonly #clock: Clock;
  readonly #queue: GroupCommitQueue;
  readonly #release: (() => Promise<void>) | undefined;
  readonly #key: Uint8Array | undefined;
  readonly #writeSql: string;
  readonly #beforeCommit: PostgresAuditStoreOptions['beforeCommitForTest'];
  #closing = false;
  #closed = false;
  #closePromise: Promise<void> | null = null;
  readonly #stats = { batches: 0, failedBatches: 0, appends: 0, events: 0, maxBatchEvents: 0, commitsResolved: 0 };

  private constructor(db: PostgresAuditDatabase, options: PostgresAuditStoreOptions) {
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#key = options.checkpointKey;
    this.#writeSql = writeBatchSql(options.checkpointKey !== undefined);
    this.#beforeCommit = options.beforeCommitForTest;
    const onBatch = options.onBatch;
    this.#release = options.release;
    this.#queue = new GroupCommitQueue((appends) => this.#commitBatch(appends), {
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      // Every commit takes the fleet-wide chain-head lock: whole queues, not halves.
      splitLargeQueues: options.splitLargeQueues ?? false,
      onBatch: (info) => {
        this.#stats.batches++;
        if (!info.ok) this.#stats.failedBatches++;
        onBatch?.(info);
      },
    });
  }

  /**
   * Opens the store on a migrated schema. Throws ERR_AUDIT_DURABILITY when the server's commits
   * are not durable (`synchronous_commit` or `fsync` off), ERR_AUDIT_SCHEMA when the audit tables
   * are missing, ERR_AUDIT_TAMPERED when the head row disagrees with the last event or (with a
   * key) the checkpoint is forged or not held by the log, ERR_AUDIT_CHECKPOINT when a key is
   * given for a non-empty log without a checkpoint (unless `adoptExistingLog`), and
   * ERR_AUDIT_UNAVAILABLE when the database does not answer. Nothing is left running when it throws.
   */
  static async open(db: PostgresAuditDatabase, options: PostgresAuditStoreOptions = {}): Promise<PostgresAuditStore> {
    if (options.checkpointKey !== undefined) assertCheckpointKey(options.checkpointKey);
    const store = new PostgresAuditStore(db, options);
    try {
      await store.#checkDurability();
      await store.#checkHead();
      if (options.checkpointKey !== undefined) await store.#reconcileCheckpoint(options.checkpointKey, options.adoptExistingLog === true);
    } catch (error) {
      store.#closed = true;
      if (isAirlockError(error) && error.code.startsWith('ERR_AUDIT_')) throw error;
      if (sqlState(error) === '42P01') {
        throw new AirlockError('ERR_AUDIT_SCHEMA', 'audit tables are missing (apply the postgresql migrations)', { status: 503, cause: error });
      }
      throw unavailable('audit store cannot be opened', error);
    }
    return store;
  }

  /**
   * Appends the events of one call, in order and contiguous. Resolves only after the batch
   * holding them committed (durably, see the header); rejects with ERR_AUDIT_UNAVAILABLE when
   * it did not, in which case none of the batch's events is in the log (or, when the commit's
   * outcome could not be learned, details.outcome is 'unknown' and they were never acknowledged).
   * Invalid input rejects with ERR_AUDIT_INVALID_EVENT before anything is queued.
   */
  append(events: AuditEventInput[]): Promise<AuditEvent[]> {
    if (this.#closing || this.#closed) return Promise.reject(unavailable('audit store is closed'));
    let prepared: PreparedInput[];
    try {
      prepared = prepareAppend(events);
    } catch (error) {
      return Promise.reject(error);
    }
    if (prepared.length === 0) return Promise.resolve([]);
    return this.#queue.enqueue(prepared);
  }

  /**
   * Committed events from `fromSeq` (default 1) in seq order, at most `limit`. One statement,
   * so a page is one snapshot; rows whose body and columns disagree throw ERR_AUDIT_CORRUPT.
   */
  async read(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditEvent[]> {
    this.#assertOpen();
    const fromSeq = Number.isFinite(options.fromSeq) ? Math.max(1, Math.floor(options.fromSeq as number)) : 1;
    const limit = options.limit === undefined ? null : Math.max(0, Math.floor(options.limit));
    const rows = await this.#query(`SELECT ${COLUMNS} FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT $2`, [fromSeq, limit]);
    return rows.map(decodeRow);
  }

  /**
   * Committed events related to `id` (by any lineage id or a ref, whichever replica appended
   * them), in seq order, answered from indexes. A refs row is not covered by the chain, so only
   * events whose own body names the id are returned.
   */
  async findRelated(id: string): Promise<AuditEvent[]> {
    this.#assertOpen();
    if (typeof id !== 'string' || id.length === 0) return [];
    const rows = await this.#query(RELATED_SQL, [id]);
    return rows.map(decodeRow).filter((event) => relatesTo(event, id));
  }

  /**
   * One page of matching events (see audit/search.ts): the committed head, then one statement
   * over at most SEARCH_SCAN_WINDOW seqs below it (events any replica committed), filtered by
   * columns and the body as jsonb.
   */
  async search(query: AuditSearchQuery): Promise<AuditSearchPage> {
    this.#assertOpen();
    const q = normalizeSearch(query);
    const headSeq = headOf((await this.#query('SELECT seq, hash FROM audit_head WHERE id = 1'))[0]).seq;
    const plan = planSearch(q, headSeq);
    if (plan === null) return finishSearch(q, plan, headSeq, []);
    const { sql, params } = searchSql(q, plan);
    return finishSearch(q, plan, headSeq, (await this.#query(sql, params)).map(decodeRow));
  }

  /** The committed head of the shared chain (any replica's last commit), or null while empty. */
  async head(): Promise<ChainHead | null> {
    this.#assertOpen();
    const head = headOf((await this.#query('SELECT seq, hash FROM audit_head WHERE id = 1'))[0]);
    return head.seq === 0 ? null : head;
  }

  /**
   * The signed checkpoint, signature checked with this store's key: null without a key (or
   * before the first one is written), ERR_AUDIT_TAMPERED when forged. Pass it to verifyChain.
   */
  async checkpoint(): Promise<Checkpoint | null> {
    this.#assertOpen();
    if (this.#key === undefined) return null;
    const checkpoint = checkpointOf((await this.#query('SELECT seq, hash, ts, mac FROM audit_checkpoint WHERE id = 1'))[0]);
    if (checkpoint !== null && !verifyCheckpointSignature(checkpoint, this.#key)) {
      throw tampered('audit checkpoint signature is invalid', { seq: checkpoint.seq, reason: 'checkpoint_mismatch' });
    }
    return checkpoint;
  }

  /**
   * One prune batch (audit/retention/store.ts) in one transaction under the chain-head lock
   * (audit-prune.ts). ERR_AUDIT_PRUNE_CONFLICT / _INVALID / ERR_AUDIT_DURABILITY as they are; any
   * other failure is ERR_AUDIT_UNAVAILABLE, and the transaction is rolled back (a commit whose
   * answer was lost is not resolved here: the caller re-runs the prune, which re-verifies).
   */
  async prune(batch: PruneBatch): Promise<AuditEvent> {
    this.#assertOpen();
    if (this.#closing) throw unavailable('audit store is closed');
    try {
      const write = await this.#db.transaction((tx) => commitPrunePostgres(tx, batch, this.#clock.now(), this.#key));
      return write.event;
    } catch (cause) {
      if (isAirlockError(cause) && (cause.code.startsWith('ERR_AUDIT_PRUNE_') || cause.code === 'ERR_AUDIT_DURABILITY' || cause.code === 'ERR_AUDIT_SCHEMA')) throw cause;
      throw unavailable('audit store could not commit the prune', cause);
    }
  }

  stats(): PostgresAuditStats {
    return { ...this.#stats, pendingEvents: this.#queue.pending };
  }

  /**
   * Commits every append queued so far (each settles as its batch does), then refuses new
   * appends and reads. Does not close the pool (the store does not own it).
   */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing = true;
      try {
        await this.#queue.flush();
      } finally {
        this.#closed = true;
        await this.#release?.();
      }
    })();
    return this.#closePromise;
  }

  #assertOpen(): void {
    if (this.#closed) throw unavailable('audit store is closed');
  }

  async #query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      return await this.#db.query(sql, params);
    } catch (error) {
      throw isAirlockError(error) && error.code === 'ERR_STORE_UNAVAILABLE' ? unavailable('audit database did not answer', error) : error;
    }
  }

  /** Refuses a server whose commits are not flushed before they are answered. */
  async #checkDurability(): Promise<void> {
    const rows = await this.#db.query<{ synchronous_commit: string; fsync: string }>(
      `SELECT current_setting('synchronous_commit') AS synchronous_commit, current_setting('fsync') AS fsync`,
    );
    const row = rows[0];
    if (row?.synchronous_commit === 'off' || row === undefined) {
      throw durability(`postgresql synchronous_commit is ${row?.synchronous_commit ?? 'unknown'}; the audit log needs it on (a commit must be flushed before it is acknowledged)`);
    }
    if (row.fsync !== 'on') throw durability(`postgresql fsync is ${row.fsync}; the audit log needs it on`);
  }

  /** The head row and the last event must agree (read in one snapshot). */
  async #checkHead(): Promise<void> {
    const rows = await this.#db.query(
      `SELECT h.seq, h.hash, e.seq AS last_seq, e.hash AS last_hash
       FROM audit_head h LEFT JOIN LATERAL (SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1) e ON true WHERE h.id = 1`,
    );
    const head = headOf(rows[0]);
    const row = rows[0] as Row;
    const lastSeq = row.last_seq === null ? 0 : toSeq(row.last_seq);
    const lastHash = row.last_seq === null ? GENESIS_HASH : row.last_hash;
    if (lastSeq !== head.seq || lastHash !== head.hash) {
      throw tampered(`audit head (seq ${head.seq}) disagrees with the last event (seq ${String(lastSeq)}): events were removed or the head was edited`, {
        seq: Math.min(head.seq, lastSeq ?? 0) + 1,
        reason: 'truncated',
      });
    }
  }

  /**
   * Seals and commits one batch under the head lock (see the header). Resolves with the sealed
   * events per append once COMMIT succeeded; throws ERR_AUDIT_UNAVAILABLE otherwise.
   */
  async #commitBatch(appends: readonly (readonly PreparedInput[])[]): Promise<AuditEvent[][]> {
    const wires = appends.flatMap((events) => events.map((p) => p.wire));
    const state: { sealed: SealedBatch | null; commitSent: boolean } = { sealed: null, commitSent: false };
    try {
      await this.#db.transaction(async (tx) => {
        const locked = (await tx.query(LOCK_HEAD_SQL))[0];
        const head = headOf(locked);
        if (locked?.synchronous_commit === 'off') throw durability('postgresql synchronous_commit is off on this connection; refusing to commit audit events');
        const batch = this.#seal(wires, head);
        state.sealed = batch.sealed;
        await tx.query(this.#writeSql, batch.params);
        await this.#beforeCommit?.(tx, { firstSeq: batch.sealed.firstSeq, events: wires.length });
        state.commitSent = true;
      });
    } catch (cause) {
      if (state.commitSent && state.sealed !== null && isAirlockError(cause) && cause.code === 'ERR_STORE_UNAVAILABLE') {
        // COMMIT was sent and no answer came back: learn what happened before answering anyone.
        this.#stats.commitsResolved++;
        const outcome = await this.#commitOutcome(state.sealed);
        if (outcome === 'committed') return this.#committed(appends, state.sealed);
        if (outcome === 'unknown') {
          throw unavailable('audit commit got no answer and its outcome could not be learned; its events were not acknowledged', cause, { outcome: 'unknown' });
        }
      }
      throw unavailable('audit store could not commit events', cause);
    }
    if (state.sealed === null) throw unavailable('audit batch was not sealed');
    return this.#committed(appends, state.sealed);
  }

  /** Seals the batch onto `head` at the clock's current time; the parameters of the write statement. */
  #seal(wires: readonly PreparedInput['wire'][], head: ChainHead): { sealed: SealedBatch; params: unknown[] } {
    const ms = this.#clock.now();
    const ts = new Date(ms).toISOString();
    const eventIds = newEventIds(wires.length, ms);
    const n = wires.length;
    const seqs = new Array<number>(n);
    const types = new Array<string>(n);
    const requests = new Array<string>(n);
    const actions = new Array<string | null>(n);
    const parents = new Array<string | null>(n);
    const sessions = new Array<string | null>(n);
    const traces = new Array<string>(n);
    const bodies = new Array<string>(n);
    const prevs = new Array<string>(n);
    const hashes = new Array<string>(n);
    const refs: string[] = [];
    const refSeqs: number[] = [];
    let prevHash = head.hash;
    for (let i = 0; i < n; i++) {
      const wire = wires[i] as PreparedInput['wire'];
      const record = sealRecord(wire, { seq: head.seq + 1 + i, eventId: eventIds[i] as string, ts, prevHash });
      seqs[i] = record.seq;
      types[i] = record.type;
      requests[i] = record.request_id;
      actions[i] = record.action_id;
      parents[i] = record.parent_action_id;
      sessions[i] = record.session_id;
      traces[i] = record.trace_id;
      bodies[i] = record.body;
      prevs[i] = record.prev_hash;
      hashes[i] = record.hash;
      for (const ref of wire.refs) {
        refs.push(ref);
        refSeqs.push(record.seq);
      }
      prevHash = record.hash;
    }
    const params: unknown[] = [seqs, eventIds, ts, types, requests, actions, parents, sessions, traces, bodies, prevs, hashes, refs, refSeqs];
    if (this.#key !== undefined) {
      const checkpoint = signCheckpoint({ seq: head.seq + n, hash: prevHash, ts }, this.#key);
      params.push(checkpoint.seq, checkpoint.hash, checkpoint.ts, checkpoint.mac);
    }
    return { sealed: { firstSeq: head.seq + 1, prevHash: head.hash, ts, eventIds, hashes }, params };
  }

  /**
   * After a COMMIT without an answer: takes the head lock (the lost transaction holds it until
   * it has committed or aborted, so once we hold it the outcome is decided and visible), then
   * looks for the batch's first and last events by id and hash.
   */
  async #commitOutcome(sealed: SealedBatch): Promise<'committed' | 'absent' | 'unknown'> {
    const last = sealed.eventIds.length - 1;
    try {
      return await this.#db.transaction(async (tx) => {
        await tx.query('SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE');
        const rows = await tx.query(`SELECT seq, event_id, hash FROM audit_events WHERE event_id = ANY($1::text[])`, [[sealed.eventIds[0], sealed.eventIds[last]]]);
        if (rows.length === 0) return 'absent';
        const found = new Map(rows.map((r) => [r.event_id, { seq: toSeq(r.seq), hash: r.hash }]));
        const first = found.get(sealed.eventIds[0]);
        const end = found.get(sealed.eventIds[last]);
        const matches =
          first?.seq === sealed.firstSeq && first.hash === sealed.hashes[0] && end?.seq === sealed.firstSeq + last && end.hash === sealed.hashes[last];
        return matches ? 'committed' : 'unknown';
      });
    } catch {
      return 'unknown';
    }
  }

  #committed(appends: readonly (readonly PreparedInput[])[], sealed: SealedBatch): AuditEvent[][] {
    let index = 0;
    const out = appends.map((events) =>
      events.map((prepared) => {
        const i = index++;
        const meta: SealMeta = {
          seq: sealed.firstSeq + i,
          eventId: sealed.eventIds[i] as string,
          ts: sealed.ts,
          prevHash: i === 0 ? sealed.prevHash : (sealed.hashes[i - 1] as string),
        };
        return eventOf(prepared, meta, sealed.hashes[i] as string);
      }),
    );
    this.#stats.appends += appends.length;
    this.#stats.events += index;
    this.#stats.maxBatchEvents = Math.max(this.#stats.maxBatchEvents, index);
    return out;
  }

  /**
   * At open, with a key: the checkpoint must be validly signed and held by the log, and the log
   * after it must chain onto it. Then it moves to the current head (under the head lock).
   */
  async #reconcileCheckpoint(key: Uint8Array, adopt: boolean): Promise<void> {
    const checkpoint = checkpointOf((await this.#db.query('SELECT seq, hash, ts, mac FROM audit_checkpoint WHERE id = 1'))[0]);
    const head = headOf((await this.#db.query('SELECT seq, hash FROM audit_head WHERE id = 1'))[0]);
    if (checkpoint === null) {
      if (head.seq > 0 && !adopt) {
        throw new AirlockError(
          'ERR_AUDIT_CHECKPOINT',
          'the audit log has events but no checkpoint: it was deleted, or checkpoint_key was added to an existing log (verify the log, then adopt it or start a new one)',
          { status: 503 },
        );
      }
      if (head.seq > 0) {
        const result = await verifyChain(readAll(this, { pageSize: 2000 }));
        if (!result.ok) throw chainTampered(result, 'audit log does not verify; refusing to adopt it');
      }
    } else {
      if (!verifyCheckpointSignature(checkpoint, key)) {
        throw tampered('audit checkpoint signature is invalid', { seq: checkpoint.seq, reason: 'checkpoint_mismatch' });
      }
      let result: ChainVerification;
      const [atCheckpoint] = checkpoint.seq === 0 ? [] : await this.read({ fromSeq: checkpoint.seq, limit: 1 }).catch(() => []);
      if (atCheckpoint !== undefined && atCheckpoint.seq === checkpoint.seq) {
        const anchor = { seq: checkpoint.seq - 1, hash: atCheckpoint.prev_hash };
        result = await verifyChain(readAll(this, { fromSeq: checkpoint.seq, pageSize: 2000 }), { checkpoint, anchor });
      } else {
        result = await verifyChain(readAll(this, { pageSize: 2000 }), { checkpoint });
      }
      if (!result.ok) throw chainTampered(result, 'audit log does not match its checkpoint');
    }
    await this.#db.transaction(async (tx) => {
      const now = headOf((await tx.query('SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE'))[0]);
      const signed = signCheckpoint({ seq: now.seq, hash: now.hash, ts: new Date(this.#clock.now()).toISOString() }, key);
      await tx.query(
        `INSERT INTO audit_checkpoint (id, seq, hash, ts, mac) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, ts = EXCLUDED.ts, mac = EXCLUDED.mac
         WHERE audit_checkpoint.seq < EXCLUDED.seq`,
        [signed.seq, signed.hash, signed.ts, signed.mac],
      );
    });
  }
}
