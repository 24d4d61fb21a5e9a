/**
 * Keeps the checkpoint file following the committed head. Called after every committed
 * batch; writes are asynchronous and coalesced: at most one write is in flight, and a new
 * write starts at most once every `intervalMs` (the newest head is kept meanwhile; a head
 * that arrives after a quiet spell is written at once). So the file always holds a head that
 * was committed, in order — and none once the store says its database files were deleted or
 * replaced — and lags the log by at most `intervalMs` plus one write. `drain()` (the store's
 * `checkpoint()` and `close()`) writes the newest head without waiting for the interval.
 */
import type { Clock } from '../core/clock.ts';
import type { ChainHead } from './chain.ts';
import type { Checkpoint } from './checkpoint.ts';
import { signCheckpoint, writeCheckpointFile, writeCheckpointFileSync } from './checkpoint.ts';

/**
 * Default least time between two checkpoint writes. Each write costs two fsyncs (the file and
 * its directory) on the disk the log commits to; written after every batch, they took as many
 * fsyncs again as the commits themselves under load.
 */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 100;

export interface CheckpointWriterOptions {
  /** Told of every failed write (the events stay committed; the file keeps the last head written). */
  onError?: (error: unknown) => void;
  /** Told when a write succeeds after one or more failed. */
  onRecovered?: () => void;
  /** Asked before each write; false (the log's files are gone) leaves the checkpoint where it is. */
  intact?: () => boolean;
  /** Least time between the starts of two writes (default DEFAULT_CHECKPOINT_INTERVAL_MS; 0: after every batch). */
  intervalMs?: number;
  /**
   * Replaces the file atomically (default writeCheckpointFile, on this thread's I/O pool); the
   * SQLite store hands it to its writer thread. It must keep writeCheckpointFile's crash safety
   * and reject when the file was not replaced.
   */
  write?: (path: string, checkpoint: Checkpoint) => Promise<void>;
}

export class CheckpointWriter {
  readonly path: string;
  readonly #key: Uint8Array;
  readonly #clock: Clock;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #onRecovered: (() => void) | undefined;
  /** The last write failed. */
  #failing = false;
  readonly #intact: (() => boolean) | undefined;
  readonly #intervalMs: number;
  readonly #write: (path: string, checkpoint: Checkpoint) => Promise<void>;
  #pending: ChainHead | null = null;
  #writing: Promise<void> | null = null;
  /** A write waiting for the interval to pass (and its wake-up). */
  #timer: NodeJS.Timeout | null = null;
  #wake: (() => void) | null = null;
  /** drain() is waiting: every pending head is written without waiting for the interval. */
  #draining = 0;
  /** performance.now() when the last write started. */
  #lastStarted = -Infinity;
  #lastWritten: Checkpoint | null = null;
  writes = 0;
  errors = 0;

  constructor(path: string, key: Uint8Array, clock: Clock, options: CheckpointWriterOptions = {}) {
    this.path = path;
    this.#intact = options.intact;
    this.#key = key;
    this.#clock = clock;
    this.#onError = options.onError;
    this.#onRecovered = options.onRecovered;
    this.#intervalMs = Math.max(0, options.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    this.#write = options.write ?? writeCheckpointFile;
  }

  get lastWritten(): Checkpoint | null {
    return this.#lastWritten;
  }

  #sign(head: ChainHead): Checkpoint {
    return signCheckpoint({ seq: head.seq, hash: head.hash, ts: new Date(this.#clock.now()).toISOString() }, this.#key);
  }

  /** Writes a checkpoint now (used at open, before any append is accepted). */
  writeSync(head: ChainHead): Checkpoint {
    const checkpoint = this.#sign(head);
    writeCheckpointFileSync(this.path, checkpoint);
    this.#lastWritten = checkpoint;
    this.writes++;
    return checkpoint;
  }

  /** Schedules a checkpoint for a newly committed head. */
  update(head: ChainHead): void {
    this.#pending = { ...head };
    this.#writing ??= this.#loop();
  }

  /** Waits until the interval since the last write has passed (or drain() cuts it short). */
  #pause(): Promise<void> | null {
    const wait = this.#lastStarted + this.#intervalMs - performance.now();
    if (wait <= 0 || this.#draining > 0) return null;
    return new Promise<void>((resolve) => {
      const done = () => {
        if (this.#timer !== null) clearTimeout(this.#timer);
        this.#timer = null;
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
      this.#timer = setTimeout(done, wait);
      // An idle store never keeps a process alive; close() drains what is pending.
      this.#timer.unref();
    });
  }

  async #loop(): Promise<void> {
    try {
      while (this.#pending !== null) {
        const pause = this.#pause();
        if (pause !== null) await pause;
        const head = this.#pending;
        if (head === null) break;
        this.#pending = null;
        if (this.#lastWritten !== null && this.#lastWritten.seq >= head.seq) continue;
        // Never attest events that no file on disk holds any more.
        if (this.#intact?.() === false) continue;
        const checkpoint = this.#sign(head);
        this.#lastStarted = performance.now();
        try {
          await this.#write(this.path, checkpoint);
          this.#lastWritten = checkpoint;
          this.writes++;
          if (this.#failing) {
            this.#failing = false;
            this.#tell(this.#onRecovered);
          }
        } catch (error) {
          this.errors++;
          this.#failing = true;
          this.#tell(() => this.#onError?.(error));
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  #tell(observer: (() => void) | undefined): void {
    try {
      observer?.();
    } catch {
      // Observers must not break the writer.
    }
  }

  /** Resolves once every scheduled checkpoint is on disk (or failed), writing the newest at once. */
  async drain(): Promise<void> {
    this.#draining++;
    try {
      while (this.#writing !== null) {
        this.#wake?.();
        await this.#writing;
      }
    } finally {
      this.#draining--;
    }
  }
}
