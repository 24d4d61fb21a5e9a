/**
 * Group commit: appends that arrive close together are queued and handed to the adapter's
 * commit function as one batch (one transaction, one fsync). A batch is flushed on the next
 * macrotask (setImmediate) or as soon as `maxBatch` events are queued.
 * Appends are never split: the events of one append stay contiguous and in one transaction
 * (a single append larger than maxBatch forms a batch of its own). Every append's promise
 * settles only after its batch's commit returned; a failed commit rejects every append of
 * that batch.
 *
 * The commit function may be synchronous (node:sqlite on the calling thread) or asynchronous
 * (a writer thread, a network database). With an asynchronous committer, a finished batch's
 * successor is handed over before its callers are woken, and a large queue is committed in two
 * halves: callers of one half carry on while the other half commits, instead of every caller
 * moving in lockstep with the commits. Batches overlap only up to `maxInFlight` asynchronous
 * commits (default 1: never); with 2, the next batch is handed over while the previous one
 * commits, so a committer that runs them in order (the writer thread) starts it as soon as
 * the previous one is done, without waiting for a turn of this thread. The queue does not
 * order or chain batches itself: a committer that allows more than one in flight must make
 * each batch stand on its own (the SQLite writer reads the chain's head inside each batch's
 * transaction, so after a failed batch the next one chains onto the last committed event).
 */
import type { AuditEvent } from '../core/types.ts';
import type { PreparedInput } from './event-record.ts';

/**
 * Commits the appends of one batch in order and returns their sealed events, per append.
 * `since` is when the batch's oldest append was queued (performance.now()), for deadlines.
 */
export type CommitBatch = (appends: readonly (readonly PreparedInput[])[], since: number) => AuditEvent[][] | Promise<AuditEvent[][]>;

export interface BatchInfo {
  appends: number;
  events: number;
  ok: boolean;
  /** Time spent in the commit function, microseconds. */
  commitUs: number;
}

interface Pending {
  inputs: readonly PreparedInput[];
  /** performance.now() when it was queued. */
  at: number;
  resolve: (events: AuditEvent[]) => void;
  reject: (error: unknown) => void;
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const SPLIT_MIN = 32;

export class GroupCommitQueue {
  readonly #commit: CommitBatch;
  readonly #maxBatch: number;
  readonly #onBatch: ((info: BatchInfo) => void) | undefined;
  /** Whether the last commit ran beside us (asynchronously); only then are batches split. */
  #split = false;
  readonly #splitAllowed: boolean;
  #queue: Pending[] = [];
  #queuedEvents = 0;
  #scheduled: NodeJS.Immediate | null = null;
  /** The drain loop is running (synchronous part). */
  #draining = false;
  /** Asynchronous commits handed over and not yet settled. */
  #inFlight = 0;
  readonly #maxInFlight: number;
  #idleWaiters: Array<() => void> = [];

  constructor(
    commit: CommitBatch,
    options: {
      maxBatch: number;
      onBatch?: (info: BatchInfo) => void;
      /** Asked on each append while no commit runs: true commits at once instead of on the next macrotask. */
      /**
       * Split a large queue in two halves with an asynchronous committer (default true). A store
       * whose commits are serialized with other writers (one chain head shared by replicas)
       * turns this off: every commit pays for the shared lock, so fewer, larger batches win.
       */
      splitLargeQueues?: boolean;
      /** Most asynchronous commits running at once (default 1). */
      maxInFlight?: number;
    },
  ) {
    this.#commit = commit;
    this.#maxBatch = Math.max(1, Math.floor(options.maxBatch));
    this.#onBatch = options.onBatch;
    this.#splitAllowed = options.splitLargeQueues !== false;
    this.#maxInFlight = Math.max(1, Math.floor(options.maxInFlight ?? 1));
  }

  /** Asynchronous commits running now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** A commit may start now (none running synchronously, fewer than maxInFlight asynchronous ones). */
  get #canStart(): boolean {
    return !this.#draining && this.#inFlight < this.#maxInFlight;
  }

  get #busy(): boolean {
    return this.#draining || this.#inFlight > 0;
  }

  /** Events waiting for a commit. */
  get pending(): number {
    return this.#queuedEvents;
  }

  enqueue(inputs: readonly PreparedInput[]): Promise<AuditEvent[]> {
    return new Promise<AuditEvent[]>((resolve, reject) => {
      this.#queue.push({ inputs, at: performance.now(), resolve, reject });
      this.#queuedEvents += inputs.length;
      if (!this.#canStart) return; // the running drain, or the next commit to finish, picks it up
      if (this.#queuedEvents >= this.#maxBatch) {
        this.#drain();
      } else {
        this.#scheduled ??= setImmediate(() => {
          this.#scheduled = null;
          this.#drain();
        });
      }
    });
  }

  /** Commits everything queued so far; resolves when the queue is empty and no commit runs. */
  async flush(): Promise<void> {
    while (this.#busy || this.#queue.length > 0) {
      if (this.#canStart) this.#drain();
      if (this.#busy) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
  }

  #take(limit = this.#maxBatch): Pending[] {
    const batch: Pending[] = [];
    let events = 0;
    while (this.#queue.length > 0) {
      const next = this.#queue[0] as Pending;
      if (batch.length > 0 && events + next.inputs.length > limit) break;
      this.#queue.shift();
      batch.push(next);
      events += next.inputs.length;
    }
    this.#queuedEvents -= events;
    return batch;
  }

  #settle(batch: Pending[], started: number, result: { ok: true; events: AuditEvent[][] } | { ok: false; error: unknown }): void {
    const events = batch.reduce((n, p) => n + p.inputs.length, 0);
    if (result.ok) {
      batch.forEach((p, i) => p.resolve(result.events[i] ?? []));
    } else {
      for (const p of batch) p.reject(result.error);
    }
    try {
      this.#onBatch?.({ appends: batch.length, events, ok: result.ok, commitUs: (performance.now() - started) * 1000 });
    } catch {
      // An observer must never break the store.
    }
  }

  #drain(): void {
    if (!this.#canStart) return;
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    this.#draining = true;
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      // With a committer that runs beside us, a large queue is split in two: its first half
      // commits while the callers of the previous batch carry on, instead of all of them
      // moving in lockstep with the commits.
      const queued = this.#queuedEvents;
      const batch = this.#take(this.#split && queued >= 2 * SPLIT_MIN ? Math.min(this.#maxBatch, Math.ceil(queued / 2)) : this.#maxBatch);
      const started = performance.now();
      let out: AuditEvent[][] | Promise<AuditEvent[][]>;
      try {
        // The queue is in arrival order: the first append is the oldest.
        out = this.#commit(
          batch.map((p) => p.inputs),
          (batch[0] as Pending).at,
        );
      } catch (error) {
        this.#settle(batch, started, { ok: false, error });
        continue;
      }
      this.#split = this.#splitAllowed && isPromise(out);
      if (isPromise(out)) {
        // On completion, hand the next batch to the committer first and only then wake this
        // batch's callers: the committer works on the next batch while they carry on.
        this.#inFlight++;
        const done = (result: { ok: true; events: AuditEvent[][] } | { ok: false; error: unknown }): void => {
          this.#inFlight--;
          this.#afterDrain();
          this.#settle(batch, started, result);
        };
        out.then(
          (events) => done({ ok: true, events }),
          (error: unknown) => done({ ok: false, error }),
        );
        continue;
      }
      this.#settle(batch, started, { ok: true, events: out });
    }
    this.#draining = false;
    if (this.#queue.length === 0 && this.#inFlight === 0) this.#afterDrain();
  }

  #afterDrain(): void {
    if (this.#queue.length > 0 && this.#canStart) {
      // Appends queued during an asynchronous commit: commit them next (they already waited).
      this.#drain();
      return;
    }
    if (this.#busy) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
