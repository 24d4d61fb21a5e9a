/**
 * Ships the audit log to a SIEM, at least once, in order, from a stored cursor.
 *
 * A batch is read after what was last sent, and sent. A stream transport (syslog over TCP/TLS)
 * gives no acknowledgement from the receiver, only from the local kernel, so a sent batch is
 * first *pending*: the stored cursor moves past it only once the connection it went over has
 * stayed open for `confirmMs` after it (a receiver that died would have closed it). When the
 * connection changes (closed, reset, reopened) before that, everything after the stored cursor
 * is sent again. A receiver may therefore see an event twice, never miss one; each message
 * carries the event's seq, id and hash to deduplicate by. When caught up the shipper polls; on
 * failure it backs off (1 s doubling to 30 s) and reports once per outage.
 */
import type { AuditEvent } from '../../core/types.ts';
import type { AuditStore } from '../types.ts';
import type { ShipCursorStore } from './types.ts';

export interface ShipDestination {
  send(events: AuditEvent[]): Promise<void>;
  /**
   * Changes whenever the destination's connection opens or closes. Absent: a destination whose
   * `send` resolves only once the receiver has the events (nothing waits for confirmation).
   */
  generation?(): number;
  close(): Promise<void>;
}

export interface AuditShipperOptions {
  /** The cursor's name (one per destination). */
  name: string;
  audit: Pick<AuditStore, 'read'>;
  cursors: ShipCursorStore;
  destination: ShipDestination;
  batchSize?: number;
  pollMs?: number;
  /** How long a connection must stay open after a batch before the batch counts (default 1 s). */
  confirmMs?: number;
  /** Told once per outage (the next success ends it), and when the outage ends. */
  onFault?: (message: string, error: unknown) => void;
  onRecovered?: () => void;
  now?: () => number;
}

export interface ShipProgress {
  /** Events sent by this call (some may be sent again if their connection does not hold). */
  shipped: number;
  /** The stored cursor: every event up to it is delivered. */
  cursor: number;
}

const MAX_BACKOFF_MS = 30_000;

interface Pending {
  seq: number;
  sentAt: number;
  generation: number;
}

export class AuditShipper {
  readonly #options: AuditShipperOptions;
  readonly #batch: number;
  readonly #confirmMs: number;
  readonly #now: () => number;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #failing = false;
  /** The last seq sent on the current connection, and the batches awaiting confirmation. */
  #sent = 0;
  #generation: number | null = null;
  #pending: Pending[] = [];
  /** Events sent since start (resends included), and the stored cursor. */
  readonly stats = { shipped: 0, cursor: 0 };

  constructor(options: AuditShipperOptions) {
    this.#options = options;
    this.#batch = Math.max(1, options.batchSize ?? 500);
    this.#confirmMs = options.confirmMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  #currentGeneration(): number {
    return this.#options.destination.generation?.() ?? 0;
  }

  /** Moves the stored cursor past the pending batches whose connection held; drops the rest. */
  async #confirm(cursor: number): Promise<number> {
    const generation = this.#currentGeneration();
    if (this.#generation !== generation) {
      // A new connection (or none): what was sent on the old one may not have been read.
      this.#generation = generation;
      this.#pending = [];
      this.#sent = cursor;
      return cursor;
    }
    const waitFor = this.#options.destination.generation === undefined ? 0 : this.#confirmMs;
    const now = this.#now();
    let confirmed = cursor;
    while (this.#pending.length > 0 && (this.#pending[0] as Pending).sentAt + waitFor <= now) confirmed = (this.#pending.shift() as Pending).seq;
    if (confirmed > cursor) {
      await this.#options.cursors.advance(this.#options.name, confirmed);
      this.stats.cursor = confirmed;
    }
    this.#sent = Math.max(this.#sent, confirmed);
    return confirmed;
  }

  /** Confirms what it can, then sends one batch after what was sent; what it did. Throws what failed. */
  async shipBatch(): Promise<ShipProgress & { pending: number }> {
    const { name, audit, destination } = this.#options;
    const cursor = await this.#confirm(await this.#options.cursors.get(name));
    const from = Math.max(cursor, this.#sent) + 1;
    const events = await audit.read({ fromSeq: from, limit: this.#batch });
    if (events.length > 0) {
      await destination.send(events);
      const last = (events.at(-1) as AuditEvent).seq;
      const generation = this.#currentGeneration();
      this.stats.shipped += events.length;
      if (generation !== this.#generation) {
        // The connection changed since the confirmation above (closed while the batch was read,
        // reopened by the send): the batches sent on the old one may be unread. Only a batch
        // that starts right after the stored cursor stands alone; otherwise everything after
        // the cursor goes again, on this connection.
        this.#generation = generation;
        this.#pending = [];
        if (from !== cursor + 1) {
          this.#sent = cursor;
          return { shipped: events.length, cursor, pending: 0 };
        }
      }
      this.#sent = last;
      this.#pending.push({ seq: last, sentAt: this.#now(), generation });
    }
    const confirmed = this.#options.destination.generation === undefined ? await this.#confirm(cursor) : cursor;
    return { shipped: events.length, cursor: confirmed, pending: this.#pending.length };
  }

  /** Ships until caught up and every batch is confirmed; the events sent and the final cursor. */
  async drain(): Promise<ShipProgress> {
    let shipped = 0;
    for (;;) {
      const step = await this.shipBatch();
      shipped += step.shipped;
      if (step.shipped > 0) continue;
      if (step.pending === 0) return { shipped, cursor: step.cursor };
      await new Promise((done) => setTimeout(done, Math.min(this.#confirmMs, 250)));
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    let backoff = 1_000;
    while (this.#running) {
      let delay = this.#options.pollMs ?? 1_000;
      try {
        const step = await this.shipBatch();
        if (this.#failing) {
          this.#failing = false;
          this.#options.onRecovered?.();
        }
        backoff = 1_000;
        if (step.shipped > 0) delay = 0;
        else if (step.pending > 0) delay = Math.min(delay, this.#confirmMs);
      } catch (error) {
        if (!this.#failing) {
          this.#failing = true;
          this.#options.onFault?.(`audit shipping to ${this.#options.name} failed; retrying from the cursor`, error);
        }
        delay = backoff;
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
      if (delay > 0 && this.#running) {
        await new Promise<void>((done) => {
          const timer = setTimeout(done, delay);
          timer.unref();
          this.#wake = () => {
            clearTimeout(timer);
            done();
          };
        });
        this.#wake = null;
      }
    }
  }

  /** Stops shipping; what was sent but not yet confirmed stays after the cursor (sent again next time). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
    await this.#options.destination.close();
  }
}
