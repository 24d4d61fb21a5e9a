/**
 * In-memory kill switch store: for tests and the `memory` state configuration (one
 * process). Each change checks and sets in one synchronous step, so no other caller
 * interleaves; nothing survives the process.
 */
import type { ActiveKillSwitches, KillSwitch, KillSwitchRelease, KillSwitchStore } from './types.ts';
import { isEngaged } from './types.ts';

export class MemoryKillSwitchStore implements KillSwitchStore {
  readonly #switches = new Map<string, KillSwitch>();
  #version = 0;

  /** Rejects a known id or a released record; otherwise stores it and bumps the version. */
  async engage(killSwitch: KillSwitch): Promise<number> {
    if (this.#switches.has(killSwitch.id)) throw new Error(`kill switch ${killSwitch.id} exists`);
    if (!isEngaged(killSwitch)) throw new Error('a kill switch is recorded engaged');
    this.#switches.set(killSwitch.id, structuredClone(killSwitch));
    return ++this.#version;
  }

  /** Compare-and-set on the engaged state; bumps the version only when it released. */
  async release(id: string, release: KillSwitchRelease): Promise<KillSwitch | null> {
    const found = this.#switches.get(id);
    if (found === undefined || !isEngaged(found)) return null;
    const released = { ...found, ...structuredClone(release) };
    this.#switches.set(id, released);
    this.#version++;
    return structuredClone(released);
  }

  async get(id: string): Promise<KillSwitch | null> {
    const found = this.#switches.get(id);
    return found === undefined ? null : structuredClone(found);
  }

  async active(): Promise<ActiveKillSwitches> {
    return { version: this.#version, switches: sorted([...this.#switches.values()].filter(isEngaged)) };
  }

  async list(): Promise<KillSwitch[]> {
    return sorted([...this.#switches.values()]);
  }

  async version(): Promise<number> {
    return this.#version;
  }
}

function sorted(list: KillSwitch[]): KillSwitch[] {
  return list
    .sort((a, b) => a.engaged_at - b.engaged_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((s) => structuredClone(s));
}
