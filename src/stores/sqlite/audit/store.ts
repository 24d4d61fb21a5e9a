/**
 * SqliteAuditStore: the embedded audit log on Node's built-in `node:sqlite`.
 *
 * - Durability: WAL + synchronous=FULL, set and read back on every open (ERR_AUDIT_DURABILITY
 *   otherwise), so a committed transaction is fsync'd.
 * - Group commit: appends are queued and written in one `BEGIN IMMEDIATE … COMMIT` per batch;
 *   the head is read inside that transaction, so several processes appending to one file
 *   never fork the chain. An append resolves only after its batch committed and rejects with
 *   ERR_AUDIT_UNAVAILABLE (503) when the commit failed (nothing of that batch is written).
 * - Writer: by default batches are committed by a writer thread with its own connection, so
 *   inserts, index upkeep and fsync run beside the event loop instead of blocking it (one
 *   batch in flight, or two with `threadBatchesInFlight: 2`: the next one is then posted while
 *   the previous one commits; each reads the head inside its own transaction). `writer: 'inline'` commits on the
 *   calling thread. `writer: 'auto'` commits a batch holding a single append on the calling
 *   thread while nothing else is in flight when it is committed, a turn of the event loop after
 *   it was queued, and the batch before it was alone too (one caller at a time: the hand-off to
 *   the thread and back costs more than it saves), every other batch on the thread — waiting for the thread while it starts (or
 *   replaces one that died) rather than committing on the event loop, up to the batch's deadline. Either way an append
 *   resolves only after its own commit. Reads always use the store's own connection.
 * - Locks: waiting for another connection's write lock never blocks the event loop. The store's
 *   connection does not wait at all (busy_timeout 0): a commit that finds the database locked
 *   retries on timers; the writer thread waits in SQLite (its own thread). Either way a batch
 *   gives up `lockTimeoutMs` after its oldest append was queued (ERR_AUDIT_UNAVAILABLE); after
 *   that, until a commit succeeds, batches wait at most LOCKED_OUT_WAIT_MS.
 * - File identity: the database, WAL and shared-memory files must stay the ones opened. A
 *   connection keeps writing to deleted or replaced files, so after every commit (whichever
 *   thread ran it, before anything is acknowledged or checkpointed), on `head()` and on a 1 s
 *   timer the files at those paths are checked (dev/ino); once they differ the store refuses
 *   every append for good (ERR_AUDIT_UNAVAILABLE, reason `file_replaced`) and reports it once
 *   through `onFault`.
 * - Checkpoints (with a key): after a committed batch the signed head is written to
 *   `<path>.checkpoint`, at most once every `checkpointIntervalMs` (the newest head then;
 *   `checkpoint()` and `close()` write it at once; the writer thread writes the file
 *   while it is up, signed here, so its file operations stay off the event loop); at open the
 *   file must match the log (ERR_AUDIT_TAMPERED otherwise).
 */
import { DatabaseSync } from 'node:sqlite';
import type { StatementSync } from 'node:sqlite';
import { systemClock } from '../../../core/clock.ts';
import type { Clock } from '../../../core/clock.ts';
import { AirlockError, isAirlockError } from '../../../core/errors.ts';
import type { AuditEvent, AuditEventInput } from '../../../core/types.ts';
import type { AuditStore } from '../../../audit/types.ts';
import { GENESIS_HASH, verifyChainSync } from '../../../audit/chain.ts';
import type { ChainHead, ChainVerification } from '../../../audit/chain.ts';
import {
  assertCheckpointKey,
  checkpointPathFor,
  readCheckpoint,
  readCheckpointFile,
  removeStaleCheckpointTemps,
  verifyCheckpointSignature,
  writeCheckpointFile,
} from '../../../audit/checkpoint.ts';
import type { Checkpoint } from '../../../audit/checkpoint.ts';
import { CheckpointWriter } from '../../../audit/checkpoint-writer.ts';
import { FileIdentityWatch } from '../../../audit/file-identity.ts';
import { decodeStoredEvent, eventOf, prepareAppend } from '../../../audit/event-record.ts';
import type { PreparedInput, StoredEventRecord, WireEvent } from '../../../audit/event-record.ts';
import { GroupCommitQueue } from '../../../audit/group-commit.ts';
import { createPrivateDatabaseFile } from '../open.ts';
import type { BatchInfo } from '../../../audit/group-commit.ts';
import { applyDurability, applyNewLogPageSize, applyWriterTuning, checkSchemaVersion, ensureSchema, hasRefIndex, readDurability, SELECT_COLUMNS } from './schema.ts';
import { relatesTo } from '../../../audit/related.ts';
import { finishSearch, normalizeSearch, planSearch } from '../../../audit/search.ts';
import type { AuditSearchPage, AuditSearchQuery, NormalizedSearch, SearchPlan } from '../../../audit/search.ts';
import type { Durability } from './schema.ts';
import { SqliteBatchWriter } from './writer.ts';
import type { CommitResult } from './writer.ts';
import { WorkerBatchWriter } from './writer-client.ts';
import { commitPrune } from './prune.ts';
import type { PrunableAuditStore, PruneBatch } from '../../../audit/retention/store.ts';

export interface SqliteAuditStoreOptions {
  /** HMAC key (>= 32 bytes) for signed checkpoints. Without it no checkpoint is kept or checked. */
  checkpointKey?: Uint8Array;
  clock?: Clock;
  /** Most events per transaction (an append larger than this is committed alone). Default 1024. */
  maxBatch?: number;
  /**
   * How long an append waits for another connection's write lock (from when it was queued)
   * before it is refused with ERR_AUDIT_UNAVAILABLE. The wait never blocks the event loop.
   * Default 2000 ms.
   */
  lockTimeoutMs?: number;
  /** Told once when the store fails for good (its database files were deleted or replaced). */
  onFault?: (error: AirlockError) => void;
  /** Open for reading and verifying only: append is refused, no checkpoint is written. */
  readOnly?: boolean;
  /** Where commits run: a writer thread (default), the calling thread, or `auto` (see above). */
  writer?: 'thread' | 'inline' | 'auto';
  /**
   * For `writer: 'auto'`: whether other work (other calls) is in flight beside the appending
   * one, in which case even a lone append goes to the thread. Default: nothing else is.
   */
  othersInFlight?: () => boolean;
  /** Start checkpointing a non-empty log that has no checkpoint file yet (after verifying it). */
  adoptExistingLog?: boolean;
  /** Observer called after every batch (metrics, benchmarks). */
  onBatch?: (info: BatchInfo) => void;
  /**
   * Least time between two writes of the checkpoint file (default 100 ms): it follows the
   * committed head at most that far behind (plus one write), see docs/audit.md.
   */
  checkpointIntervalMs?: number;
  /** Called each time a checkpoint file could not be written (the events themselves are committed). */
  onCheckpointError?: (error: unknown) => void;
  /** Called when a checkpoint file is written again after failed writes. */
  onCheckpointRecovered?: () => void;
  /**
   * Batches with the writer thread at once, 1 (default) or 2: with 2 the next batch is posted
   * while the previous one commits. Each batch reads the head inside its own transaction, so
   * a failed batch never leaves a gap or a fork for the one beside it.
   */
  threadBatchesInFlight?: 1 | 2;
}

export interface SqliteAuditStats {
  batches: number;
  failedBatches: number;
  appends: number;
  events: number;
  maxBatchEvents: number;
  /** Batches committed by the writer thread. */
  threadBatches: number;
  /** Batches committed on the calling thread (the store's own connection: the fsync ran on the event loop). */
  loopBatches: number;
  pendingEvents: number;
  /** Batches handed to the writer (thread) and not yet answered. */
  batchesInFlight: number;
  checkpointWrites: number;
  /** Of checkpointWrites, the files the writer thread wrote (the others: on the event loop's I/O pool). */
  threadCheckpointWrites: number;
  checkpointErrors: number;
  /** Writer threads started (more than 1 means one died and was replaced). */
  writerStarts: number;
}

const DEFAULT_MAX_BATCH = 1024;
const DEFAULT_LOCK_TIMEOUT_MS = 2000;
/** How often the database files' identity is checked while the store is idle. */
const FILE_CHECK_INTERVAL_MS = 1000;
/** Longest pause between two attempts at a locked database (on timers, never blocking). */
const MAX_RETRY_PAUSE_MS = 25;
/**
 * Once a batch gave up on the lock, later batches wait at most this long until a commit
 * succeeds again: a call's refusal (its deny record) does not wait the whole timeout twice.
 */
const LOCKED_OUT_WAIT_MS = 100;
/** Most batches handed to the writer thread and not yet answered (`threadBatchesInFlight`). */
const MAX_THREAD_BATCHES_IN_FLIGHT = 2;

type Row = Record<string, unknown>;

function unavailable(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_AUDIT_UNAVAILABLE', message, { status: 503, cause });
}

/** SQLITE_BUSY (any extended code): another connection holds the lock. */
function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' && (code & 0xff) === 5;
}

function tampered(result: ChainVerification, message: string): AirlockError {
  const bad = result.firstBad;
  const where = bad === undefined ? '' : `: ${bad.reason} at seq ${bad.seq}`;
  return new AirlockError('ERR_AUDIT_TAMPERED', `${message}${where}`, { status: 503, details: { ...bad } });
}

function corruptRow(seq: unknown, message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_CORRUPT', message, { status: 500, details: { seq: typeof seq === 'number' ? seq : null } });
}

function text(row: Row, column: string, nullable: boolean): string | null {
  const value = row[column];
  if (typeof value === 'string') return value;
  if (nullable && value === null) return null;
  throw corruptRow(row.seq, `audit row ${String(row.seq)} column ${column} has the wrong type`);
}

function rowToRecord(row: Row): StoredEventRecord {
  if (typeof row.seq !== 'number') throw corruptRow(null, 'audit row has a non-integer seq');
  return {
    seq: row.seq,
    event_id: text(row, 'event_id', false) as string,
    ts: text(row, 'ts', false) as string,
    type: text(row, 'type', false) as string,
    request_id: text(row, 'request_id', false) as string,
    action_id: text(row, 'action_id', true),
    parent_action_id: text(row, 'parent_action_id', true),
    session_id: text(row, 'session_id', true),
    trace_id: text(row, 'trace_id', false) as string,
    body: text(row, 'body', false) as string,
    prev_hash: text(row, 'prev_hash', false) as string,
    hash: text(row, 'hash', false) as string,
  };
}

function decodeRow(row: Row): AuditEvent {
  return decodeStoredEvent(rowToRecord(row));
}

/** Events related to `$id` (see related.ts), each lookup served by an index. */
function relatedSql(withRefs: boolean): string {
  const refs = withRefs ? ' OR seq IN (SELECT seq FROM event_refs WHERE ref = $id)' : '';
  return (
    `SELECT ${SELECT_COLUMNS} FROM events WHERE request_id = $id OR action_id = $id OR parent_action_id = $id ` +
    `OR session_id = $id OR trace_id = $id OR event_id = $id${refs} ORDER BY seq`
  );
}

/**
 * The SQL of one search call: the plan's seq window (primary key), `ts` and `type` columns,
 * json_extract on the body for the rest. Candidates only: matchesSearch has the last word.
 */
function searchSql(q: NormalizedSearch, plan: SearchPlan): { sql: string; params: Array<string | number> } {
  const where = ['seq BETWEEN ? AND ?'];
  const params: Array<string | number> = [plan.lo, plan.hi];
  const add = (clause: string, value: string | null) => {
    if (value === null) return;
    where.push(clause);
    params.push(value);
  };
  add('ts >= ?', q.from);
  add('ts < ?', q.to);
  add('type = ?', q.type);
  add(`json_extract(body, '$.actor.tenant') = ?`, q.tenant);
  add(`json_extract(body, '$.actor.user') = ?`, q.user);
  add(`json_extract(body, '$.actor.agent') = ?`, q.agent);
  add(`json_extract(body, '$.tool') = ?`, q.tool);
  add(`json_extract(body, '$.decision.outcome') = ?`, q.outcome);
  // Through the element's path (a reason that is not an object gives NULL, never a JSON error).
  add(
    `json_type(body, '$.decision.reasons') = 'array' AND EXISTS (SELECT 1 FROM json_each(body, '$.decision.reasons') AS r ` +
      `WHERE json_extract(body, r.fullkey || '.policy_id') = ?)`,
    q.rule,
  );
  params.push(q.limit);
  return { sql: `SELECT ${SELECT_COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY seq ${plan.descending ? 'DESC' : 'ASC'} LIMIT ?`, params };
}

interface Statements {
  head: StatementSync;
  read: StatementSync;
  bySeq: StatementSync;
  related: StatementSync;
}

export class SqliteAuditStore implements AuditStore, PrunableAuditStore {
  readonly path: string;
  /** Where the signed checkpoint lives (`<path>.checkpoint`). */
  readonly checkpointPath: string;
  readonly readOnly: boolean;
  readonly #db: DatabaseSync;
  readonly #clock: Clock;
  readonly #stmts: Statements;
  readonly #queue: GroupCommitQueue;
  #writer: SqliteBatchWriter | WorkerBatchWriter | null = null;
  /** `writer: 'auto'`: lone appends commit inline unless this says other work is in flight. */
  #auto: { othersInFlight: () => boolean } | null = null;
  /** `writer: 'auto'`: the last batch had company (other appends, other work in flight, another batch running). */
  #lastHadCompany = false;
  /** Commits on the store's own connection (the inline writer, or while the thread starts). */
  #inline: SqliteBatchWriter | null = null;
  readonly #checkpoints: CheckpointWriter | null;
  readonly #checkpointKey: Uint8Array | undefined;
  #head: ChainHead | null = null;
  #closing = false;
  #closed = false;
  #closePromise: Promise<void> | null = null;
  readonly #lockTimeoutMs: number;
  /** A batch ran out of time waiting for the lock and none has committed since. */
  #lockedOut = false;
  /** Identity of the database files (null for read-only and in-memory stores). */
  #files: FileIdentityWatch | null = null;
  #fileTimer: NodeJS.Timeout | null = null;
  /** Set once the database files were found deleted or replaced: every append is refused. */
  #lost: AirlockError | null = null;
  readonly #onFault: ((error: AirlockError) => void) | undefined;
  readonly #stats = { batches: 0, failedBatches: 0, appends: 0, events: 0, maxBatchEvents: 0, threadBatches: 0, loopBatches: 0, threadCheckpointWrites: 0 };

  private constructor(path: string, db: DatabaseSync, options: SqliteAuditStoreOptions) {
    this.path = path;
    this.checkpointPath = checkpointPathFor(path);
    this.readOnly = options.readOnly === true;
    this.#db = db;
    this.#clock = options.clock ?? systemClock;
    this.#lockTimeoutMs = Math.max(0, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
    this.#onFault = options.onFault;
    this.#stmts = {
      head: db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
      read: db.prepare(`SELECT ${SELECT_COLUMNS} FROM events WHERE seq >= ? ORDER BY seq LIMIT ?`),
      bySeq: db.prepare(`SELECT ${SELECT_COLUMNS} FROM events WHERE seq = ?`),
      related: db.prepare(relatedSql(hasRefIndex(db))),
    };
    const onBatch = options.onBatch;
    this.#queue = new GroupCommitQueue((appends, since) => this.#commitBatch(appends, since), {
      // Every batch waits a turn (setImmediate), `auto` too: requests whose bytes came in the
      // same turn of the event loop are at the doors by then, so where the batch commits is
      // decided knowing them. Committing a lone append at once, when it was queued, ran the fsync
      // on the event loop ahead of requests the loop had not read yet (every one of them, under
      // load with a pipeline that does not yield).
      maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
      // With 2, the next batch is posted while the previous one commits, and the thread starts it
      // right after that COMMIT instead of waiting for this thread to hear of it and post. Each
      // batch reads the head inside its own transaction, so the chain stays exact whichever of
      // them fails. Default 1: beside 1 in the same runs, 2 did not answer more decisions (more,
      // smaller batches: more wake-ups of the thread), see docs/performance.md, round 4.
      maxInFlight: options.writer === 'inline' ? 1 : Math.min(MAX_THREAD_BATCHES_IN_FLIGHT, Math.max(1, Math.floor(options.threadBatchesInFlight ?? 1))),
      onBatch: (info) => {
        this.#stats.batches++;
        if (!info.ok) this.#stats.failedBatches++;
        onBatch?.(info);
      },
    });
    this.#checkpointKey = options.checkpointKey;
    this.#checkpoints =
      options.checkpointKey === undefined || this.readOnly
        ? null
        : new CheckpointWriter(this.checkpointPath, options.checkpointKey, this.#clock, {
            ...(options.onCheckpointError === undefined ? {} : { onError: options.onCheckpointError }),
            ...(options.onCheckpointRecovered === undefined ? {} : { onRecovered: options.onCheckpointRecovered }),
            intact: () => this.#checkFiles() === null,
            ...(options.checkpointIntervalMs === undefined ? {} : { intervalMs: options.checkpointIntervalMs }),
            write: (file, checkpoint) => this.#writeCheckpointFile(file, checkpoint),
          });
  }

  /**
   * Opens (creating if needed) the audit database at `path`. Throws ERR_AUDIT_DURABILITY when
   * WAL + synchronous=FULL do not hold, ERR_AUDIT_TAMPERED / ERR_AUDIT_CHECKPOINT when the
   * checkpoint does not match the log, ERR_AUDIT_UNAVAILABLE when the file cannot be opened.
   */
  static open(path: string, options: SqliteAuditStoreOptions = {}): SqliteAuditStore {
    if (options.checkpointKey !== undefined) assertCheckpointKey(options.checkpointKey);
    const readOnly = options.readOnly === true;
    let db: DatabaseSync;
    try {
      if (!readOnly) createPrivateDatabaseFile(path);
      // Opening may wait for a lock (before the store serves anything); commits never do, see #commitBatch.
      db = new DatabaseSync(path, { timeout: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, readOnly });
    } catch (cause) {
      throw unavailable('audit database cannot be opened', cause);
    }
    try {
      // Before WAL mode writes the header of a new file; an existing log keeps its page size.
      if (!readOnly) applyNewLogPageSize(db);
      applyDurability(db, { readOnly });
      if (readOnly) {
        checkSchemaVersion(db);
      } else {
        ensureSchema(db);
        applyWriterTuning(db);
      }
      const store = new SqliteAuditStore(path, db, options);
      store.#head = store.#readHead();
      if (options.checkpointKey !== undefined && !readOnly) store.#reconcileCheckpoint(options.checkpointKey, options.adoptExistingLog === true);
      // Started last: nothing may be left running when open refuses.
      if (!readOnly) {
        db.exec('PRAGMA busy_timeout = 0');
        if (path !== ':memory:' && !path.startsWith('file:')) store.#watchFiles(path);
        store.#inline = new SqliteBatchWriter(db);
        store.#writer = options.writer === 'inline' ? store.#inline : new WorkerBatchWriter(path);
        if (options.writer === 'auto') store.#auto = { othersInFlight: options.othersInFlight ?? (() => false) };
      }
      return store;
    } catch (error) {
      db.close();
      throw isAirlockError(error) ? error : unavailable('audit database cannot be prepared', error);
    }
  }

  /** Journal mode and synchronous level of this connection, read live. */
  durability(): Durability {
    this.#assertOpen();
    return readDurability(this.#db);
  }

  /**
   * The signed checkpoint beside the database, signature checked with this store's key (null
   * without a key or file; ERR_AUDIT_TAMPERED when forged). Pass it to verifyChain.
   */
  async checkpoint(): Promise<Checkpoint | null> {
    if (this.#checkpointKey === undefined) return null;
    await this.#checkpoints?.drain();
    return readCheckpoint(this.path, this.#checkpointKey);
  }

  stats(): SqliteAuditStats {
    return {
      ...this.#stats,
      pendingEvents: this.#queue.pending,
      batchesInFlight: this.#queue.inFlight,
      checkpointWrites: this.#checkpoints?.writes ?? 0,
      checkpointErrors: this.#checkpoints?.errors ?? 0,
      writerStarts: this.#writer instanceof WorkerBatchWriter ? this.#writer.starts : 0,
    };
  }

  append(events: AuditEventInput[]): Promise<AuditEvent[]> {
    if (this.#closing || this.#closed) return Promise.reject(unavailable('audit store is closed'));
    if (this.readOnly) return Promise.reject(unavailable('audit store is open read-only'));
    let prepared: PreparedInput[];
    try {
      prepared = prepareAppend(events);
    } catch (error) {
      return Promise.reject(error);
    }
    if (prepared.length === 0) return Promise.resolve([]);
    return this.#queue.enqueue(prepared);
  }

  async read(options: { fromSeq?: number; limit?: number } = {}): Promise<AuditEvent[]> {
    this.#assertOpen();
    const fromSeq = Number.isFinite(options.fromSeq) ? Math.max(1, Math.floor(options.fromSeq as number)) : 1;
    const limit = options.limit === undefined ? -1 : Math.max(0, Math.floor(options.limit));
    const rows = this.#stmts.read.all(fromSeq, limit) as Row[];
    return rows.map(decodeRow);
  }

  async findRelated(id: string): Promise<AuditEvent[]> {
    this.#assertOpen();
    if (typeof id !== 'string' || id.length === 0) return [];
    const rows = this.#stmts.related.all({ $id: id }) as Row[];
    // A row of event_refs is not covered by the chain: keep only events whose body names the id.
    return rows.map(decodeRow).filter((event) => relatesTo(event, id));
  }

  /**
   * One page of matching events (see audit/search.ts): one statement on the store's
   * connection, so a page is one snapshot of committed events; at most SEARCH_SCAN_WINDOW
   * seqs examined, filtered by indexed columns and json_extract on the body.
   */
  async search(query: AuditSearchQuery): Promise<AuditSearchPage> {
    this.#assertOpen();
    const q = normalizeSearch(query);
    const headSeq = this.#readHead()?.seq ?? 0;
    const plan = planSearch(q, headSeq);
    if (plan === null) return finishSearch(q, plan, headSeq, []);
    const { sql, params } = searchSql(q, plan);
    const rows = this.#db.prepare(sql).all(...params) as Row[];
    return finishSearch(q, plan, headSeq, rows.map(decodeRow));
  }

  /**
   * One prune batch (audit/retention/store.ts) in one transaction on the store's connection,
   * under the write lock appends take (a locked database is retried on timers, as commits are,
   * until lockTimeoutMs). ERR_AUDIT_PRUNE_CONFLICT / ERR_AUDIT_PRUNE_INVALID as they are; any
   * other failure is ERR_AUDIT_UNAVAILABLE. Either way nothing of the batch is written.
   */
  async prune(batch: PruneBatch): Promise<AuditEvent> {
    this.#assertOpen();
    if (this.readOnly || this.#closing) throw unavailable(this.readOnly ? 'audit store is open read-only' : 'audit store is closed');
    const deadline = performance.now() + this.#lockTimeoutMs;
    let pause = 1;
    for (;;) {
      if (this.#lost !== null) throw this.#lost;
      try {
        const write = commitPrune(this.#db, batch, this.#clock.now());
        const lost = this.#checkFiles();
        if (lost !== null) throw lost;
        if (this.#head === null || write.record.seq > this.#head.seq) {
          this.#head = { seq: write.record.seq, hash: write.record.hash };
          this.#checkpoints?.update(this.#head);
        }
        return write.event;
      } catch (cause) {
        if (isAirlockError(cause)) throw cause;
        if (!isBusy(cause) || performance.now() >= deadline) throw unavailable('audit store could not commit the prune', cause);
        await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - performance.now()))));
        pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS);
      }
    }
  }

  /** The head of the chain; ERR_AUDIT_UNAVAILABLE once the database files were deleted or replaced. */
  async head(): Promise<ChainHead | null> {
    this.#assertOpen();
    const lost = this.#checkFiles();
    if (lost !== null) throw lost;
    return this.#readHead();
  }

  /** Commits pending appends, waits for the last checkpoint, then closes the database. */
  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing = true;
      if (this.#fileTimer !== null) clearInterval(this.#fileTimer);
      try {
        await this.#queue.flush();
        // The last checkpoint still goes by the writer thread; one that is scheduled later is written here.
        await this.#checkpoints?.drain();
        if (this.#writer instanceof WorkerBatchWriter) await this.#writer.close();
        await this.#checkpoints?.drain();
      } finally {
        this.#closed = true;
        this.#db.close();
      }
    })();
    return this.#closePromise;
  }

  /**
   * Replaces the checkpoint file (CheckpointWriter decides which head and when, and signs it
   * here: the key stays on this thread). With the writer thread up, the thread writes it, so
   * the file's operations do not run on this event loop; else, or when the thread ended before
   * answering, writeCheckpointFile here. Either way the same temp-fsync-rename-fsync, and a
   * failed write rejects (CheckpointWriter reports it).
   */
  async #writeCheckpointFile(file: string, checkpoint: Checkpoint): Promise<void> {
    const writer = this.#writer;
    if (writer instanceof WorkerBatchWriter && (await writer.writeCheckpoint(file, checkpoint))) {
      this.#stats.threadCheckpointWrites++;
      return;
    }
    await writeCheckpointFile(file, checkpoint);
  }

  #watchFiles(path: string): void {
    this.#files = new FileIdentityWatch(path, [`${path}-wal`, `${path}-shm`]);
    this.#fileTimer = setInterval(() => this.#checkFiles(), FILE_CHECK_INTERVAL_MS);
    this.#fileTimer.unref();
  }

  /** Null while the database files are the ones opened; else the (sticky) fault, reported once. */
  #checkFiles(): AirlockError | null {
    if (this.#lost !== null || this.#files === null || this.#closed) return this.#lost;
    const what = this.#files.check();
    if (what === null) return null;
    this.#lost = new AirlockError('ERR_AUDIT_UNAVAILABLE', `audit database files changed under the running store: ${what}; no event is recorded until it is restarted on its real files`, {
      status: 503,
      details: { reason: 'file_replaced' },
    });
    if (this.#fileTimer !== null) clearInterval(this.#fileTimer);
    try {
      this.#onFault?.(this.#lost);
    } catch {
      // An observer must never break the store.
    }
    return this.#lost;
  }

  #assertOpen(): void {
    if (this.#closed) throw unavailable('audit store is closed');
  }

  #readHead(): ChainHead | null {
    const row = this.#stmts.head.get() as Row | undefined;
    if (row === undefined) return null;
    if (typeof row.seq !== 'number' || typeof row.hash !== 'string') throw corruptRow(row.seq, 'audit head row is malformed');
    return { seq: row.seq, hash: row.hash };
  }

  #resyncHead(): void {
    try {
      this.#head = this.#db.isOpen ? this.#readHead() : null;
    } catch {
      this.#head = null;
    }
  }

  /**
   * `writer: 'auto'`: whether a batch of these appends commits inline. It must be alone — one
   * append, no other call in flight, no other batch running — and so must the batch before it.
   * Under load a batch can find itself alone only because the requests that follow it are
   * still in the socket buffers, unread (the doors count a request from its first parsed byte);
   * committing it inline would hold all of them up for an fsync on the event loop, and the next
   * batch, full of them, would then go to the thread: every other batch on the event loop.
   * So after company the first lone batch still goes to the thread; one caller at a time (the
   * `/mcp` door called once at a time, a script) commits inline from its second batch on.
   */
  #commitsInline(appends: readonly (readonly PreparedInput[])[]): boolean {
    if (this.#auto === null) return false;
    const alone = appends.length === 1 && this.#queue.inFlight === 0 && !this.#auto.othersInFlight();
    const inline = alone && !this.#lastHadCompany;
    this.#lastHadCompany = !alone;
    return inline;
  }

  /**
   * Hands one batch to the writer; the head is read inside its transaction (no fork across
   * processes). `since`: when its oldest append was queued; the lock wait ends lockTimeoutMs later.
   */
  #commitBatch(appends: readonly (readonly PreparedInput[])[], since: number): AuditEvent[][] | Promise<AuditEvent[][]> {
    const writer = this.#writer;
    const inline = this.#inline;
    if (writer === null || inline === null) throw unavailable('audit store is open read-only');
    if (this.#lost !== null) throw this.#lost;
    const deadline = since + (this.#lockedOut ? Math.min(this.#lockTimeoutMs, LOCKED_OUT_WAIT_MS) : this.#lockTimeoutMs);
    const wires = appends.flatMap((events) => events.map((p) => p.wire));
    const lone = this.#commitsInline(appends);
    if (writer instanceof WorkerBatchWriter && writer.ready && !lone) return this.#commitOnThread(writer, appends, wires, deadline);
    // `auto` under concurrency while the thread starts (or replaces one that died): wait for it
    // rather than fsync on the event loop; inline only if it cannot start before the deadline.
    if (writer instanceof WorkerBatchWriter && !lone && this.#auto !== null) return this.#commitOnceThreadReady(writer, inline, appends, wires, deadline);
    return this.#commitInline(inline, appends, wires, deadline);
  }

  #commitOnThread(writer: WorkerBatchWriter, appends: readonly (readonly PreparedInput[])[], wires: readonly WireEvent[], deadline: number): Promise<AuditEvent[][]> {
    this.#stats.threadBatches++;
    return writer.commit(wires, this.#clock.now(), deadline - performance.now()).then(
      (result) => this.#committed(appends, result),
      (cause: unknown) => this.#failed(cause),
    );
  }

  async #commitOnceThreadReady(
    writer: WorkerBatchWriter,
    inline: SqliteBatchWriter,
    appends: readonly (readonly PreparedInput[])[],
    wires: readonly WireEvent[],
    deadline: number,
  ): Promise<AuditEvent[][]> {
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      writer.whenReady(),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now()));
      }),
    ]);
    clearTimeout(timer);
    if (this.#lost !== null) throw this.#lost;
    if (ready && writer.ready) return this.#commitOnThread(writer, appends, wires, deadline);
    return this.#commitInline(inline, appends, wires, deadline);
  }

  #commitInline(inline: SqliteBatchWriter, appends: readonly (readonly PreparedInput[])[], wires: readonly WireEvent[], deadline: number): AuditEvent[][] | Promise<AuditEvent[][]> {
    try {
      const result = inline.commit(wires, this.#clock.now());
      this.#stats.loopBatches++;
      return this.#committed(appends, result);
    } catch (cause) {
      return isBusy(cause) ? this.#commitWhenUnlocked(inline, appends, wires, deadline, cause) : this.#failed(cause);
    }
  }

  /** The database is locked by another connection: try again on timers (the event loop runs on) until the deadline. */
  async #commitWhenUnlocked(
    inline: SqliteBatchWriter,
    appends: readonly (readonly PreparedInput[])[],
    wires: readonly WireEvent[],
    deadline: number,
    busy: unknown,
  ): Promise<AuditEvent[][]> {
    let pause = 1;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return this.#failed(busy);
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
      pause = Math.min(pause * 2, MAX_RETRY_PAUSE_MS);
      if (this.#lost !== null) throw this.#lost;
      try {
        const result = inline.commit(wires, this.#clock.now());
        this.#stats.loopBatches++;
        return this.#committed(appends, result);
      } catch (cause) {
        if (!isBusy(cause)) return this.#failed(cause);
        busy = cause;
      }
    }
  }

  /**
   * Resolves true once the writer thread takes batches (false for the inline writer, or when
   * the thread cannot open the database). Until then batches commit on the store's connection.
   */
  whenWriterReady(): Promise<boolean> {
    return this.#writer instanceof WorkerBatchWriter ? this.#writer.whenReady() : Promise.resolve(false);
  }

  #committed(appends: readonly (readonly PreparedInput[])[], result: CommitResult): AuditEvent[][] {
    // Committed, but to the files that are still the log? Nothing is acknowledged or checkpointed otherwise.
    const lost = this.#checkFiles();
    if (lost !== null) throw lost;
    this.#lockedOut = false;
    let index = 0;
    const out = appends.map((events) =>
      events.map((prepared) => {
        const i = index++;
        const meta = {
          seq: result.firstSeq + i,
          eventId: result.eventIds[i] as string,
          ts: result.ts,
          prevHash: i === 0 ? result.prevHash : (result.hashes[i - 1] as string),
        };
        return eventOf(prepared, meta, result.hashes[i] as string);
      }),
    );
    this.#head = { seq: result.firstSeq + index - 1, hash: result.hashes[index - 1] as string };
    this.#stats.appends += appends.length;
    this.#stats.events += index;
    this.#stats.maxBatchEvents = Math.max(this.#stats.maxBatchEvents, index);
    this.#checkpoints?.update(this.#head);
    return out;
  }

  #failed(cause: unknown): never {
    if (cause === this.#lost && cause !== null) throw cause;
    this.#resyncHead();
    if (isBusy(cause)) {
      this.#lockedOut = true;
      throw unavailable('audit database is locked by another connection', cause);
    }
    throw unavailable('audit store could not commit events', cause);
  }

  /** Test hook: kills the writer thread as a crash would (no-op for the inline writer). */
  async crashWriterForTest(): Promise<void> {
    if (this.#writer instanceof WorkerBatchWriter) await this.#writer.crashForTest();
  }

  *#iterateFrom(fromSeq: number, pageSize = 1000): Generator<AuditEvent> {
    let next = fromSeq;
    for (;;) {
      const rows = this.#stmts.read.all(next, pageSize) as Row[];
      for (const row of rows) {
        const event = decodeRow(row);
        next = event.seq + 1;
        yield event;
      }
      if (rows.length < pageSize) return;
    }
  }

  /**
   * At open: the checkpoint must be validly signed and present in the log, and everything
   * after it must chain onto it. Then the checkpoint moves to the current head.
   */
  #reconcileCheckpoint(key: Uint8Array, adopt: boolean): void {
    const writer = this.#checkpoints as CheckpointWriter;
    removeStaleCheckpointTemps(this.checkpointPath, Date.now());
    const checkpoint = readCheckpointFile(this.checkpointPath);
    const head = this.#head;
    if (checkpoint === null) {
      if (head !== null && !adopt) {
        throw new AirlockError('ERR_AUDIT_CHECKPOINT', `checkpoint file ${this.checkpointPath} is missing for a non-empty audit log: it was deleted, or checkpoint_key was added to an existing log (verify the log with airlock audit verify, then start a new log or restore the checkpoint)`, { status: 503 });
      }
      if (head !== null) {
        const result = verifyChainSync(this.#iterateFrom(1));
        if (!result.ok) throw tampered(result, 'audit log does not verify; refusing to adopt it');
      }
      writer.writeSync(head ?? { seq: 0, hash: GENESIS_HASH });
      return;
    }
    if (!verifyCheckpointSignature(checkpoint, key)) {
      throw new AirlockError('ERR_AUDIT_TAMPERED', 'checkpoint signature is invalid', {
        status: 503,
        details: { seq: checkpoint.seq, reason: 'checkpoint_mismatch' },
      });
    }
    let result: ChainVerification;
    if (checkpoint.seq === 0) {
      result = verifyChainSync(this.#iterateFrom(1), { checkpoint });
    } else {
      const row = this.#stmts.bySeq.get(checkpoint.seq) as Row | undefined;
      let anchor: ChainHead | undefined;
      try {
        anchor = row === undefined ? undefined : { seq: checkpoint.seq - 1, hash: decodeRow(row).prev_hash };
      } catch {
        anchor = undefined;
      }
      result =
        anchor === undefined
          ? verifyChainSync(this.#iterateFrom(1), { checkpoint })
          : verifyChainSync(this.#iterateFrom(checkpoint.seq), { checkpoint, anchor });
    }
    if (!result.ok) throw tampered(result, 'audit log does not match its checkpoint');
    if (head !== null && head.seq > checkpoint.seq) writer.writeSync(head);
  }
}
