/**
 * The store's handle on the writer thread: posts one batch at a time, resolves with the
 * CommitResult or rejects with the writer's failure. The thread takes a moment to start (its
 * own isolate and connection), so `ready` says when it can take batches; until then the store
 * commits on its own connection. A crashed writer rejects what was in flight (its fate
 * unknown, so never acknowledged) and is started again; one that cannot open the database is
 * not. The thread is unref'd while idle so an idle store never keeps a process alive.
 * It also writes the signed checkpoint file (`writeCheckpoint`) off this thread's event loop.
 */
import { Worker } from 'node:worker_threads';
import type { Checkpoint } from '../../../audit/checkpoint.ts';
import { packWires } from '../../../audit/event-record.ts';
import type { WireEvent } from '../../../audit/event-record.ts';
import type { CommitResult } from './writer.ts';

/** `.ts` when this runs from the sources, `.js` once compiled (the published package). */
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

interface Reply {
  type: 'ready' | 'failed' | 'result' | 'checkpointed';
  id: number;
  ok: boolean;
  result?: CommitResult;
  message?: string;
  code?: string | null;
  errcode?: number | null;
}

interface InFlight {
  resolve: (result: CommitResult | undefined) => void;
  reject: (error: Error) => void;
  /** The thread died or closed before answering. */
  lost: (error: Error) => void;
}

export class WorkerBatchWriter {
  readonly #path: string;
  #worker: Worker | null = null;
  #inFlight = new Map<number, InFlight>();
  #nextId = 1;
  #closed = false;
  #ready = false;
  #failed = false;
  #readyWaiters: Array<(ready: boolean) => void> = [];
  /** Writer threads started (1 unless one died). */
  starts = 0;

  constructor(path: string) {
    this.#path = path;
    this.#ensure();
  }

  /** True when the thread is up and takes batches. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves true once the thread takes batches, false if it cannot (closed, or it failed to open). */
  whenReady(): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    if (this.#failed || this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  #wake(ready: boolean): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const wake of waiters) wake(ready);
  }

  #ensure(): Worker {
    if (this.#worker !== null) return this.#worker;
    // Beside this module: the TypeScript source in a checkout, the compiled .js in the package.
    const worker = new Worker(new URL(`./writer.worker${OWN_EXTENSION}`, import.meta.url), {
      workerData: { path: this.#path },
    });
    this.starts++;
    worker.unref();
    worker.on('message', (reply: Reply) => this.#settle(reply));
    worker.on('error', (error) => this.#lost(worker, error));
    worker.on('exit', (code) => this.#lost(worker, new Error(`audit writer thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #settle(reply: Reply): void {
    if (reply.type === 'ready') {
      this.#ready = true;
      this.#wake(true);
      return;
    }
    if (reply.type === 'failed') {
      this.#failed = true;
      this.#wake(false);
      void this.#worker?.terminate();
      return;
    }
    const entry = this.#inFlight.get(reply.id);
    if (entry === undefined) return;
    this.#inFlight.delete(reply.id);
    if (this.#inFlight.size === 0) this.#worker?.unref();
    if (reply.ok && (reply.result !== undefined || reply.type === 'checkpointed')) entry.resolve(reply.result);
    else entry.reject(Object.assign(new Error(reply.message ?? 'audit writer failed'), { code: reply.code ?? undefined, errcode: reply.errcode ?? undefined }));
  }

  #lost(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#ready = false;
    const inFlight = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const entry of inFlight) entry.lost(error);
    if (this.#closed || this.#failed) this.#wake(false);
    else this.#ensure(); // start a replacement; batches go inline until it is ready
  }

  /** Posts a batch; only while `ready`. It waits at most `waitMs` for another connection's write lock. */
  commit(events: readonly WireEvent[], ms: number, waitMs: number): Promise<CommitResult> {
    if (this.#closed) return Promise.reject(new Error('audit writer is closed'));
    if (!this.#ready) return Promise.reject(new Error('audit writer thread is not ready'));
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise<CommitResult>((resolve, reject) => {
      this.#inFlight.set(id, { resolve: resolve as (result: CommitResult | undefined) => void, reject, lost: reject });
      worker.ref();
      worker.postMessage({ type: 'commit', id, events: packWires(events), ms, waitMs });
    });
  }

  /**
   * Has the thread replace the checkpoint file at `path` (writeCheckpointFile: temp, fsync,
   * rename, fsync of the directory). Resolves true once written, false when the thread cannot
   * take it or ended before answering (the caller then writes it itself: rewriting the same
   * checkpoint is harmless); rejects with the write's failure.
   */
  writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<boolean> {
    if (this.#closed || !this.#ready || this.#worker === null) return Promise.resolve(false);
    const worker = this.#worker;
    const id = this.#nextId++;
    return new Promise<boolean>((resolve, reject) => {
      this.#inFlight.set(id, { resolve: () => resolve(true), reject, lost: () => resolve(false) });
      worker.ref();
      worker.postMessage({ type: 'checkpoint', id, path, checkpoint });
    });
  }

  /** Test hook: ends the writer thread as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#worker?.terminate();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = false;
    this.#wake(false);
    const worker = this.#worker;
    if (worker === null) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' });
    await exited;
  }
}
