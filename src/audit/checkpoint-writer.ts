/**
 * Keeps the checkpoint file following the committed head. Called after every committed
 * batch; writes are asynchronous and coalesced (while one write is in flight only the
 * newest head is kept), so the file always holds a head that was committed, in order — and
 * none once the store says its database files were deleted or replaced.
 */
import type { Clock } from '../core/clock.ts';
import type { ChainHead } from './chain.ts';
import type { Checkpoint } from './checkpoint.ts';
import { signCheckpoint, writeCheckpointFile, writeCheckpointFileSync } from './checkpoint.ts';

export class CheckpointWriter {
  readonly path: string;
  readonly #key: Uint8Array;
  readonly #clock: Clock;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #intact: (() => boolean) | undefined;
  #pending: ChainHead | null = null;
  #writing: Promise<void> | null = null;
  #lastWritten: Checkpoint | null = null;
  writes = 0;
  errors = 0;

  /** `intact`: asked before each write; false (the log's files are gone) leaves the checkpoint where it is. */
  constructor(path: string, key: Uint8Array, clock: Clock, onError?: (error: unknown) => void, intact?: () => boolean) {
    this.path = path;
    this.#intact = intact;
    this.#key = key;
    this.#clock = clock;
    this.#onError = onError;
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

  async #loop(): Promise<void> {
    try {
      while (this.#pending !== null) {
        const head = this.#pending;
        this.#pending = null;
        if (this.#lastWritten !== null && this.#lastWritten.seq >= head.seq) continue;
        // Never attest events that no file on disk holds any more.
        if (this.#intact?.() === false) continue;
        const checkpoint = this.#sign(head);
        try {
          await writeCheckpointFile(this.path, checkpoint);
          this.#lastWritten = checkpoint;
          this.writes++;
        } catch (error) {
          this.errors++;
          try {
            this.#onError?.(error);
          } catch {
            // Observers must not break the writer.
          }
        }
      }
    } finally {
      this.#writing = null;
    }
  }

  /** Resolves once every scheduled checkpoint is on disk (or failed). */
  async drain(): Promise<void> {
    while (this.#writing !== null) await this.#writing;
  }
}
