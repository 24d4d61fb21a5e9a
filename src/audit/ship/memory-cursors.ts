/** ShipCursorStore in memory (tests, `state: memory`): lost at restart, so a restarted shipper starts over. */
import type { ShipCursorStore } from './types.ts';

export class MemoryShipCursorStore implements ShipCursorStore {
  readonly #cursors = new Map<string, number>();

  async get(name: string): Promise<number> {
    return this.#cursors.get(name) ?? 0;
  }

  async advance(name: string, seq: number): Promise<void> {
    this.#cursors.set(name, Math.max(this.#cursors.get(name) ?? 0, seq));
  }
}
