/**
 * KillSwitchMonitor: a gateway's local snapshot of the engaged kill switches, what the
 * screen phase checks on every call without a round trip. The snapshot is refreshed
 * - at once when the change feed (PostgreSQL LISTEN/NOTIFY) says the version moved,
 * - by a poll of the store's change version every `pollIntervalMs` (default 250 ms), the
 *   fallback for a lost notice, a dead channel or a reconnect (the feed is re-subscribed
 *   from the poll while it is down),
 * - and by the local service after each change it made (so an engage is in force here
 *   before it is answered).
 * Fail closed: the snapshot is trusted only while it was confirmed against the store within
 * `staleAfterMs` (default 2 s, measured on a monotonic clock from the moment the
 * confirming read was sent). Past that — the store does not answer, a read hangs (each
 * read is abandoned after `refreshTimeoutMs`), the first read has not succeeded yet —
 * every check answers `killswitch.state_unknown`.
 */
import { performance } from 'node:perf_hooks';
import type { ActiveKillSwitches, KillSwitch, KillSwitchFeed, KillSwitchStore } from './types.ts';

/** What a call is checked by. */
export interface KillSwitchSubject {
  tenant: string;
  agent: string | null;
  tool: string;
  connector: string | null;
  session: string | null;
}

export type KillSwitchVerdict =
  | { refused: false }
  | { refused: true; code: 'screen.kill_switch'; killSwitch: KillSwitch }
  | { refused: true; code: 'killswitch.state_unknown'; confirmedAgoMs: number | null };

export interface KillSwitchMonitorOptions {
  store: KillSwitchStore;
  feed?: KillSwitchFeed;
  pollIntervalMs?: number;
  staleAfterMs?: number;
  /** A read of the store taking longer is abandoned (default: `staleAfterMs`). */
  refreshTimeoutMs?: number;
  /** Monotonic milliseconds (default `performance.now`). */
  monotonic?: () => number;
  /** Told about failed reads and a lost feed (the monitor keeps trying). */
  onFault?: (what: string, error: unknown) => void;
}

export const DEFAULT_POLL_INTERVAL_MS = 250;
export const DEFAULT_STALE_AFTER_MS = 2_000;
const RESUBSCRIBE_EVERY_MS = 1_000;

/** True when the switch refuses a call of `subject` (a connector switch matches its connector id ignoring case). */
export function covers(s: KillSwitch, subject: KillSwitchSubject): boolean {
  if (s.tenant !== null && s.tenant !== subject.tenant) return false;
  switch (s.scope) {
    case 'global':
      return true;
    case 'tenant':
      return s.target === subject.tenant;
    case 'agent':
      return s.target === subject.agent;
    case 'tool':
      return s.target === subject.tool;
    case 'connector':
      // Connector ids of HTTP tools are URL hosts, which the URL parser lowercases: a switch
      // naming the host as the tool's config spells it (`API.Example.com`) must still match.
      // Ignoring case can only refuse more (the safe direction).
      return subject.connector !== null && s.target.toLowerCase() === subject.connector.toLowerCase();
    case 'session':
      return s.target === subject.session;
  }
}

export class KillSwitchMonitor {
  readonly #store: KillSwitchStore;
  readonly #feed: KillSwitchFeed | undefined;
  readonly #pollMs: number;
  readonly #staleMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #onFault: (what: string, error: unknown) => void;
  #version = -1;
  #switches: readonly KillSwitch[] = [];
  #confirmedAt: number | null = null;
  #inflight: Promise<void> | null = null;
  #again = false;
  #timer: ReturnType<typeof setInterval> | null = null;
  #subscription: { close(): Promise<void> } | null = null;
  #subscribing = false;
  #lastSubscribeAttempt = -Infinity;
  #stopped = false;
  #refreshes = 0;

  constructor(options: KillSwitchMonitorOptions) {
    this.#store = options.store;
    this.#feed = options.feed;
    this.#pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#staleMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    this.#timeoutMs = options.refreshTimeoutMs ?? this.#staleMs;
    this.#now = options.monotonic ?? (() => performance.now());
    this.#onFault = options.onFault ?? (() => undefined);
  }

  /** Subscribes to the feed, reads the store once and starts polling. Never throws: until a read succeeds, checks refuse. */
  async start(): Promise<void> {
    await this.#subscribe();
    await this.refresh();
    if (this.#stopped || this.#timer !== null) return;
    this.#timer = setInterval(() => this.#tick(), this.#pollMs);
    this.#timer.unref();
  }

  /**
   * Re-reads the store (single flight: a request arriving while a read is in flight runs one
   * more read after it, so a change committed meanwhile is not missed). Resolves when the
   * snapshot is as new as the store was when this was called, or when the read failed.
   */
  refresh(): Promise<void> {
    if (this.#inflight !== null) {
      this.#again = true;
      return this.#inflight;
    }
    const run = (async () => {
      do {
        this.#again = false;
        await this.#readOnce();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#inflight = null;
    });
    this.#inflight = run;
    return run;
  }

  /** The verdict for one call, from the local snapshot (no I/O). */
  check(subject: KillSwitchSubject): KillSwitchVerdict {
    const now = this.#now();
    if (this.#confirmedAt === null || now - this.#confirmedAt > this.#staleMs) {
      return { refused: true, code: 'killswitch.state_unknown', confirmedAgoMs: this.#confirmedAt === null ? null : Math.round(now - this.#confirmedAt) };
    }
    for (const s of this.#switches) if (covers(s, subject)) return { refused: true, code: 'screen.kill_switch', killSwitch: s };
    return { refused: false };
  }

  /** For /readyz, metrics and tests. */
  status(): { version: number; engaged: number; confirmedAgoMs: number | null; fresh: boolean; feed: 'none' | 'up' | 'down'; refreshes: number } {
    const ago = this.#confirmedAt === null ? null : this.#now() - this.#confirmedAt;
    return {
      version: this.#version,
      engaged: this.#switches.length,
      confirmedAgoMs: ago,
      fresh: ago !== null && ago <= this.#staleMs,
      feed: this.#feed === undefined ? 'none' : this.#subscription === null ? 'down' : 'up',
      refreshes: this.#refreshes,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const subscription = this.#subscription;
    this.#subscription = null;
    await subscription?.close().catch(() => undefined);
    await this.#inflight?.catch(() => undefined);
  }

  #tick(): void {
    if (this.#feed !== undefined && this.#subscription === null && !this.#subscribing && this.#now() - this.#lastSubscribeAttempt >= RESUBSCRIBE_EVERY_MS) {
      // Notices sent while the channel was down are gone: the poll re-reads anyway.
      void this.#subscribe();
    }
    void this.refresh();
  }

  async #readOnce(): Promise<void> {
    const sentAt = this.#now();
    try {
      const version = await this.#bounded(this.#store.version());
      if (version !== this.#version) {
        const active: ActiveKillSwitches = await this.#bounded(this.#store.active());
        // Never step back to an older snapshot (reads can overlap a concurrent refresh's write).
        if (active.version >= this.#version) {
          this.#switches = Object.freeze(active.switches);
          this.#version = active.version;
        }
      }
      if (this.#confirmedAt === null || sentAt > this.#confirmedAt) this.#confirmedAt = sentAt;
      this.#refreshes++;
    } catch (error) {
      this.#onFault('kill switch state read', error);
    }
  }

  #bounded<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the kill switch store did not answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }

  async #subscribe(): Promise<void> {
    if (this.#feed === undefined || this.#stopped) return;
    this.#subscribing = true;
    this.#lastSubscribeAttempt = this.#now();
    let subscription: { close(): Promise<void> } | null = null;
    let down = false;
    try {
      subscription = await this.#feed.subscribe({
        onChange: () => void this.refresh(),
        onDown: (error) => {
          down = true;
          if (subscription !== null && this.#subscription === subscription) this.#subscription = null;
          this.#onFault('kill switch change feed', error);
          void subscription?.close().catch(() => undefined);
        },
      });
      if (down) return;
      if (this.#stopped) await subscription.close();
      else {
        this.#subscription = subscription;
        void this.refresh();
      }
    } catch (error) {
      this.#onFault('kill switch change feed', error);
    } finally {
      this.#subscribing = false;
    }
  }
}
