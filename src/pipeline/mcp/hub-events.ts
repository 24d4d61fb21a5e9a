/**
 * What the MCP hub tells others: change notices for the MCP doors (`list_changed`, resource
 * updates), and its own audit events (gateway actor), which are held until the gateway
 * attaches its audit log. A failing listener or a failed append is a fault, never thrown.
 */
import type { JsonValue } from '../../core/canonical.ts';
import type { AuditEventInput } from '../../core/types.ts';
import type { AuditStore } from '../../audit/index.ts';
import { GATEWAY_ACTOR, refsOf, standaloneEvent } from '../events.ts';

export type HubChange = { kind: 'tools' | 'resources' | 'prompts' } | { kind: 'resource'; uri: string };

export type FaultHandler = (what: string, error: unknown) => void;

/** An audit event of the hub's own housekeeping (no call, gateway actor). */
export function hubEvent(type: string, data: Record<string, JsonValue>): AuditEventInput {
  // A pin change is known by the definition hash it concerns: a lookup by that hash finds it.
  return standaloneEvent(type, GATEWAY_ACTOR, data, refsOf(typeof data.hash === 'string' ? data.hash : null));
}

/** Listeners for hub changes; a listener that throws is reported and the others still hear. */
export class ChangeListeners {
  readonly #listeners = new Set<(change: HubChange) => void>();
  readonly #onFault: FaultHandler;

  constructor(onFault: FaultHandler) {
    this.#onFault = onFault;
  }

  /** Adds a listener; returns its removal. */
  add(listener: (change: HubChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(change: HubChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#onFault('change listener', error);
      }
    }
  }
}

/** The hub's audit events: buffered until `attach`, then appended (without waiting) as they come. */
export class HubAuditLog {
  #audit: AuditStore | null = null;
  #buffered: AuditEventInput[] = [];
  readonly #onFault: FaultHandler;

  constructor(onFault: FaultHandler) {
    this.#onFault = onFault;
  }

  attach(audit: AuditStore): void {
    this.#audit = audit;
    const buffered = this.#buffered;
    this.#buffered = [];
    if (buffered.length > 0) void this.#append(buffered);
  }

  record(events: AuditEventInput[]): void {
    if (events.length === 0) return;
    if (this.#audit === null) this.#buffered.push(...events);
    else void this.#append(events);
  }

  async #append(events: AuditEventInput[]): Promise<void> {
    try {
      await this.#audit?.append(events);
    } catch (error) {
      this.#onFault('record mcp events', error);
    }
  }
}
