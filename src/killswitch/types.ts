/**
 * Runtime kill switch records and the store interface every adapter implements. A kill
 * switch, while engaged, refuses every call in its scope (the whole fleet, one tenant, one
 * agent, one tool, one connector or one session) at the screen phase, before anything is
 * resolved or evaluated. Switches are engaged and released by named operators with a
 * justification; a released switch stays on record. Every change bumps a store-wide
 * change `version`, which replicas poll to notice changes they were not told about.
 */

export const KILL_SWITCH_SCOPES = ['global', 'tenant', 'agent', 'tool', 'connector', 'session'] as const;
export type KillSwitchScope = (typeof KILL_SWITCH_SCOPES)[number];

/** The target a `global` switch names (it covers everything). */
export const GLOBAL_TARGET = '*';

/** Identity of the operator who engaged or released a switch, copied from their verified token. */
export interface KillSwitchOperator {
  user: string;
  tenant: string;
  issuer: string;
  roles: string[];
}

export interface KillSwitch {
  /** `ksw_...` */
  id: string;
  scope: KillSwitchScope;
  /** Tenant id, agent id, tool name, connector id, session id; `*` for `global`. */
  target: string;
  /**
   * The tenant whose calls the switch refuses, or null for a fleet-wide switch (every
   * tenant). A `global` switch is always fleet-wide.
   */
  tenant: string | null;
  engaged_by: KillSwitchOperator;
  /** Mandatory reason, trimmed. */
  justification: string;
  /** Epoch milliseconds. */
  engaged_at: number;
  released_at?: number;
  released_by?: KillSwitchOperator;
  release_justification?: string;
}

export interface KillSwitchRelease {
  released_at: number;
  released_by: KillSwitchOperator;
  release_justification: string;
}

/** The engaged switches and the change version they were read at (one consistent read). */
export interface ActiveKillSwitches {
  version: number;
  switches: KillSwitch[];
}

/** True while the switch is engaged. */
export function isEngaged(s: KillSwitch): boolean {
  return s.released_at === undefined;
}

/**
 * Durable kill switch records. Every change is atomic and bumps the change version in the
 * same atomic step, so a reader that sees version v sees every change up to v.
 */
export interface KillSwitchStore {
  /**
   * Records an engaged switch and bumps the version; resolves to the new version once the
   * change is committed (durably, for a durable adapter). Rejects when the id exists or the
   * record is already released; a rejected or failed engage leaves nothing behind.
   */
  engage(killSwitch: KillSwitch): Promise<number>;
  /**
   * Releases the switch only when it is engaged (compare-and-set: of concurrent releases,
   * exactly one wins) and bumps the version in the same step. Resolves to the released
   * record, or null when the id is unknown or already released (nothing changed then).
   */
  release(id: string, release: KillSwitchRelease): Promise<KillSwitch | null>;
  /** One switch, engaged or released, or null. */
  get(id: string): Promise<KillSwitch | null>;
  /** The engaged switches, oldest first, with the version they were read at (one consistent read). */
  active(): Promise<ActiveKillSwitches>;
  /** Every switch ever recorded, engaged and released, oldest first. */
  list(): Promise<KillSwitch[]>;
  /** The change version: 0 for a new store, +1 for every engage and every release. */
  version(): Promise<number>;
}

/**
 * A push channel of change notices (PostgreSQL LISTEN/NOTIFY). A notice only says "the
 * version moved"; the subscriber re-reads the store. Notices can be lost (the subscriber
 * polls the version as well).
 */
export interface KillSwitchFeed {
  /** Starts listening; `onChange` hears every notice, `onDown` hears when the channel is lost. */
  subscribe(handlers: { onChange(version: number | null): void; onDown(error: unknown): void }): Promise<{ close(): Promise<void> }>;
}
