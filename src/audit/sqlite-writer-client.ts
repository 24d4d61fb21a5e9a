/**
 * The store's handle on the writer thread: posts one batch at a time, resolves with the
 * CommitResult or rejects with the writer's failure. A crashed or exited writer rejects what
 * was in flight (its fate unknown, so never acknowledged) and is restarted for the next
 * batch. The thread is unref'd while idle so an idle store never keeps a process alive.
 */
import { Worker } from 'node:worker_threads';
import { packWires } from './event-record.ts';
import type { WireEvent } from './event-record.ts';
import type { CommitResult } from './sqlite-writer.ts';

interface Reply {
  id: number;
  ok: boolean;
  result?: CommitResult;
  message?: string;
  code?: string | null;
}

interface InFlight {
  resolve: (result: CommitResult) => void;
  reject: (error: Error) => void;
}

export class WorkerBatchWriter {
  readonly #path: string;
  readonly #busyTimeoutMs: number;
  #worker: Worker | null = null;
  #inFlight = new Map<number, InFlight>();
  #nextId = 1;
  #closed = false;
  /** Writer threads started (1 unless one died). */
  starts = 0;

  constructor(path: string, busyTimeoutMs: number) {
    this.#path = path;
    this.#busyTimeoutMs = busyTimeoutMs;
    this.#ensure();
  }

  #ensure(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(new URL('./sqlite-writer.worker.ts', import.meta.url), {
      workerData: { path: this.#path, busyTimeoutMs: this.#busyTimeoutMs },
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
    const entry = this.#inFlight.get(reply.id);
    if (entry === undefined) return;
    this.#inFlight.delete(reply.id);
    if (this.#inFlight.size === 0) this.#worker?.unref();
    if (reply.ok && reply.result !== undefined) entry.resolve(reply.result);
    else entry.reject(Object.assign(new Error(reply.message ?? 'audit writer failed'), { code: reply.code ?? undefined }));
  }

  #lost(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    const inFlight = [...this.#inFlight.values()];
    this.#inFlight.clear();
    for (const entry of inFlight) entry.reject(error);
  }

  commit(events: readonly WireEvent[], ms: number): Promise<CommitResult> {
    if (this.#closed) return Promise.reject(new Error('audit writer is closed'));
    const worker = this.#ensure();
    const id = this.#nextId++;
    return new Promise<CommitResult>((resolve, reject) => {
      this.#inFlight.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ type: 'commit', id, events: packWires(events), ms });
    });
  }

  /** Test hook: ends the writer thread as a crash would. */
  async crashForTest(): Promise<void> {
    await this.#worker?.terminate();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (worker === null) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' });
    await exited;
  }
}
