/**
 * Finished spans on their way out: buffered, sent in batches (every `delayMs`, or at once when
 * a batch is full), at most two batches in flight. A collector that is down or slow costs the
 * gateway a bounded queue, never memory without end or a slower call: beyond `maxQueued`
 * spans are dropped and counted (told at most once a minute). A failed send is reported once
 * per outage (the next success ends it); spans are never retried by the queue (the OTLP
 * exporter retries what it can).
 */
import { spanCount, type CallRecord } from './span-record.ts';

const DROP_REPORT_INTERVAL_MS = 60_000;

/** Delivers one batch of calls' spans; rejects when the collector did not take it. */
export interface SpanTransport {
  send(calls: CallRecord[]): Promise<void>;
  shutdown(): Promise<void>;
}

/** Why spans were dropped: the queue was full, or the collector did not take their batch. */
export type SpanDropReason = 'queue_full' | 'export_failed';

export interface SpanQueueOptions {
  delayMs: number;
  maxBatch?: number;
  maxQueued?: number;
  maxInFlight?: number;
  onFault?: (message: string) => void;
  /** Told of every drop as it happens (a counter's increment: it must be cheap). */
  onDrop?: (spans: number, reason: SpanDropReason) => void;
}

export class SpanQueue {
  readonly #transport: SpanTransport;
  readonly #delayMs: number;
  readonly #maxBatch: number;
  readonly #maxQueued: number;
  readonly #maxInFlight: number;
  readonly #onFault: (message: string) => void;
  readonly #onDrop: (spans: number, reason: SpanDropReason) => void;
  #buffer: CallRecord[] = [];
  /** Spans in the buffer (a call record holds several). */
  #buffered = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  #failing = false;
  #dropped = 0;
  #droppedToldAt = 0;

  constructor(transport: SpanTransport, options: SpanQueueOptions) {
    this.#transport = transport;
    this.#delayMs = options.delayMs;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#maxQueued = options.maxQueued ?? 8_192;
    this.#maxInFlight = options.maxInFlight ?? 2;
    this.#onFault = options.onFault ?? (() => undefined);
    this.#onDrop = options.onDrop ?? (() => undefined);
  }

  push(call: CallRecord | null): void {
    if (call !== null) {
      const spans = spanCount(call);
      if (this.#buffered + spans > this.#maxQueued) {
        this.#dropped += spans;
        this.#onDrop(spans, 'queue_full');
      } else {
        this.#buffer.push(call);
        this.#buffered += spans;
      }
    }
    if (this.#buffered >= this.#maxBatch) this.#drain();
    else if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#drain();
      }, this.#delayMs);
      this.#timer.unref();
    }
  }

  #drain(): void {
    while (this.#buffer.length > 0 && this.#inFlight.size < this.#maxInFlight) {
      const batch: CallRecord[] = [];
      let spans = 0;
      while (this.#buffer.length > 0 && spans < this.#maxBatch) {
        const call = this.#buffer.shift() as CallRecord;
        batch.push(call);
        spans += spanCount(call);
      }
      this.#buffered -= spans;
      const sending = this.#transport.send(batch).then(
        () => {
          this.#failing = false;
        },
        (error: unknown) => {
          this.#onDrop(spans, 'export_failed');
          this.#fault(`span export failed (${spans} spans dropped): ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      this.#inFlight.add(sending);
      void sending.finally(() => {
        this.#inFlight.delete(sending);
        if (this.#buffered >= this.#maxBatch) this.#drain();
        else if (this.#buffer.length > 0 && this.#timer === null) this.push(null);
      });
    }
    // Drops are told at most once a minute, with how many since the last time.
    if (this.#dropped > 0 && Date.now() - this.#droppedToldAt >= DROP_REPORT_INTERVAL_MS) {
      this.#droppedToldAt = Date.now();
      this.#onFault(`span queue full: ${this.#dropped} spans dropped (the collector is slower than the calls)`);
      this.#dropped = 0;
    }
  }

  #fault(message: string): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#onFault(message);
  }

  /** Sends everything buffered and waits for every batch in flight. */
  async flush(): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#buffer.length > 0 || this.#inFlight.size > 0) {
      this.#drain();
      await Promise.all([...this.#inFlight]);
    }
  }

  async shutdown(): Promise<void> {
    await this.flush();
    await this.#transport.shutdown();
  }
}
