/**
 * Kill switches in the embedded SQLite state database (one process, or several sharing the
 * file). The record is JSON; scope, target, tenant and release time are columns. The
 * change version is one row, bumped in the same IMMEDIATE transaction as the change it
 * counts, so a reader sees a change and its version together or neither. Each method is
 * one synchronous step on the connection: nothing else on this connection interleaves.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { immediateTransaction } from './transaction.ts';
import { AirlockError } from '../../core/errors.ts';
import type { ActiveKillSwitches, KillSwitch, KillSwitchRelease, KillSwitchStore } from '../../killswitch/index.ts';

interface Row {
  body: string;
  released_at: number | null;
}

export class SqliteKillSwitchStore implements KillSwitchStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #bump: StatementSync;
  readonly #version: StatementSync;
  readonly #select: StatementSync;
  readonly #active: StatementSync;
  readonly #all: StatementSync;
  readonly #release: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS kill_switches (
      id TEXT PRIMARY KEY,
      scope TEXT NOT NULL,
      target TEXT NOT NULL,
      tenant TEXT,
      engaged_at INTEGER NOT NULL,
      released_at INTEGER,
      body TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS kill_switches_active ON kill_switches (engaged_at, id) WHERE released_at IS NULL;
    CREATE TABLE IF NOT EXISTS kill_switch_version (
      one INTEGER PRIMARY KEY CHECK (one = 1),
      version INTEGER NOT NULL
    ) STRICT;
    INSERT OR IGNORE INTO kill_switch_version (one, version) VALUES (1, 0);`);
    this.#insert = db.prepare('INSERT INTO kill_switches (id, scope, target, tenant, engaged_at, released_at, body) VALUES (?, ?, ?, ?, ?, NULL, ?)');
    this.#bump = db.prepare('UPDATE kill_switch_version SET version = version + 1 WHERE one = 1 RETURNING version');
    this.#version = db.prepare('SELECT version FROM kill_switch_version WHERE one = 1');
    this.#select = db.prepare('SELECT body, released_at FROM kill_switches WHERE id = ?');
    this.#active = db.prepare('SELECT body, released_at FROM kill_switches WHERE released_at IS NULL ORDER BY engaged_at, id');
    this.#all = db.prepare('SELECT body, released_at FROM kill_switches ORDER BY engaged_at, id');
    this.#release = db.prepare(
      'UPDATE kill_switches SET released_at = ?, body = json_patch(body, ?) WHERE id = ? AND released_at IS NULL RETURNING body, released_at',
    );
  }

  /** One IMMEDIATE transaction: insert + version bump; a failure rolls both back. */
  async engage(killSwitch: KillSwitch): Promise<number> {
    if (killSwitch.released_at !== undefined) throw new AirlockError('ERR_KILLSWITCH_STORE', 'a kill switch is recorded engaged', { status: 500 });
    return immediateTransaction(this.#db, 'cannot store the kill switch', () => {
      this.#insert.run(killSwitch.id, killSwitch.scope, killSwitch.target, killSwitch.tenant, killSwitch.engaged_at, JSON.stringify(killSwitch));
      return Number((this.#bump.get() as { version: number }).version);
    });
  }

  /** One IMMEDIATE transaction: conditional UPDATE on `released_at IS NULL` + version bump when it matched. */
  async release(id: string, release: KillSwitchRelease): Promise<KillSwitch | null> {
    const patch = JSON.stringify(release);
    return immediateTransaction(this.#db, 'cannot release the kill switch', () => {
      const row = this.#release.get(release.released_at, patch, id) as Row | undefined;
      if (row === undefined) return null;
      this.#bump.run();
      return fromRow(row);
    });
  }

  async get(id: string): Promise<KillSwitch | null> {
    const row = this.#read(() => this.#select.get(id)) as Row | undefined;
    return row === undefined ? null : fromRow(row);
  }

  /** The version and the engaged rows from one read transaction (one snapshot of the WAL). */
  async active(): Promise<ActiveKillSwitches> {
    return this.#read(() => {
      this.#db.exec('BEGIN');
      try {
        const version = Number((this.#version.get() as { version: number }).version);
        const switches = (this.#active.all() as unknown as Row[]).map(fromRow);
        return { version, switches };
      } finally {
        this.#db.exec('COMMIT');
      }
    });
  }

  async list(): Promise<KillSwitch[]> {
    return (this.#read(() => this.#all.all()) as unknown as Row[]).map(fromRow);
  }

  async version(): Promise<number> {
    return Number((this.#read(() => this.#version.get()) as { version: number }).version);
  }

  #read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      throw new AirlockError('ERR_STATE_UNAVAILABLE', 'cannot read kill switches', { cause, status: 503 });
    }
  }
}

/** The column is authoritative for the release time; the JSON body for everything else. */
function fromRow(row: Row): KillSwitch {
  const s = JSON.parse(row.body) as KillSwitch;
  delete s.released_at;
  if (row.released_at !== null) s.released_at = Number(row.released_at);
  return s;
}
