/**
 * The store factory: the one place that turns config into stores. A gateway (and every CLI
 * command that reads state) asks here for its sessions, approvals, overrides, revocations,
 * memory, MCP pins and audit log; this file picks the adapter for `state.type` and
 * `audit.type` (memory, embedded SQLite, or the PostgreSQL a fleet shares) and owns the
 * connections it opened, closing them with the stores.
 */
import { existsSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import type { RateLimiter } from '../core/types.ts';
import type { ApprovalBacklog, ApprovalStore } from '../approvals/index.ts';
import type { AuditStore } from '../audit/index.ts';
import type { SessionStore } from '../sessions/index.ts';
import { openDurableSqlite } from './sqlite/open.ts';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import type { AirlockConfig } from '../config/types.ts';
import { MemoryApprovalStore } from '../approvals/index.ts';
import { SqliteApprovalStore } from './sqlite/index.ts';
import { MemoryAuditStore } from '../audit/index.ts';
import { SqliteAuditStore, type SqliteAuditStoreOptions } from './sqlite/index.ts';
import { MemoryCredentialUseStore, MemoryRevocationStore, type CredentialUseStore, type RevocationStore } from '../credentials/index.ts';
import { SqliteRevocationStore } from './sqlite/index.ts';
import { SqliteCredentialUseStore } from './sqlite/credential-uses.ts';
import { PostgresCredentialUseStore } from './postgres/credential-uses.ts';
import { MemoryMemoryStore, type MemoryStore } from '../memory/index.ts';
import { SqliteMemoryStore } from './sqlite/index.ts';
import { MemoryOverrideStore, type OverrideStore } from '../overrides/index.ts';
import { SqliteOverrideStore } from './sqlite/index.ts';
import { MemoryPinStore, type PinRecord, type PinStore } from '../mcp/index.ts';
import { SqlitePinStore } from './sqlite/index.ts';
import { MemorySessionStore } from '../sessions/index.ts';
import { SqliteSessionStore } from './sqlite/index.ts';
import { openSqliteReadOnly } from './sqlite/read-only.ts';
import { resolveSecretRef } from '../config/index.ts';
import { PostgresDatabase, assertDurableState } from './postgres/database.ts';
import { assertMigrated, migrate, type MigrationReport } from './postgres/migrate.ts';
import { PostgresApprovalStore } from './postgres/approvals.ts';
import { PostgresFleetChannel } from './postgres/fleet-channel.ts';
import type { FleetChannel } from '../core/fleet.ts';
import type { Redis } from 'ioredis';
import { openRedis, redisReady } from './redis/connection.ts';
import { RedisRateLimiter } from './redis/rate-limiter.ts';
import { MemoryRateLimiter } from '../limits/index.ts';
import { PostgresProvenanceStore } from './postgres/provenance.ts';
import { PostgresSessionActivityStore } from './postgres/session-activity.ts';
import { SqliteProvenanceStore } from './sqlite/provenance.ts';
import { MemoryShipCursorStore, type ShipCursorStore } from '../audit/ship/index.ts';
import { SqliteShipCursorStore } from './sqlite/ship-cursors.ts';
import { PostgresShipCursorStore } from './postgres/ship-cursors.ts';
import { SqliteSessionActivityStore } from './sqlite/session-activity.ts';
import { MemoryProvenanceStore, type ProvenanceStore } from '../provenance/index.ts';
import { MemorySessionActivityStore, type SessionActivityStore } from '../sessions/activity.ts';
import { PostgresKillSwitchFeed, PostgresKillSwitchStore } from './postgres/kill-switches.ts';
import { SqliteKillSwitchStore } from './sqlite/kill-switches.ts';
import { MemoryKillSwitchStore, type KillSwitchFeed, type KillSwitchStore } from '../killswitch/index.ts';
import { PostgresAuditStore } from './postgres/audit.ts';
import { PostgresMemoryStore } from './postgres/memory.ts';
import { PostgresOverrideStore } from './postgres/overrides.ts';
import { PostgresPinStore } from './postgres/pins.ts';
import { PostgresRevocationStore } from './postgres/revocations.ts';
import { PostgresSessionStore } from './postgres/sessions.ts';
import { MemoryIdempotencyStore, type IdempotencyStore } from '../idempotency/index.ts';
import { SqliteIdempotencyStore } from './sqlite/idempotency.ts';
import { PostgresIdempotencyStore } from './postgres/idempotency.ts';
import { MemorySessionBudgetStore, type SessionBudgetStore } from '../budgets/index.ts';
import { SqliteSessionBudgetStore } from './sqlite/session-budgets.ts';
import { PostgresSessionBudgetStore } from './postgres/session-budgets.ts';

export type StoreKind = 'memory' | 'sqlite' | 'postgres';

/** How a gateway wants its audit log opened (what its metrics and fault reporting hook into). */
export interface AuditOpenOptions {
  clock: Clock;
  /** HMAC key for signed checkpoints, resolved by the caller. */
  checkpointKey?: Uint8Array;
  writer?: SqliteAuditStoreOptions['writer'];
  othersInFlight?: () => boolean;
  onBatch?: SqliteAuditStoreOptions['onBatch'];
  onFault?: SqliteAuditStoreOptions['onFault'];
  /** A signed checkpoint file could not be written (SQLite; PostgreSQL writes it in each batch's transaction). */
  onCheckpointError?: SqliteAuditStoreOptions['onCheckpointError'];
  onCheckpointRecovered?: SqliteAuditStoreOptions['onCheckpointRecovered'];
}

/** The state stores of one gateway, on one backend, closed together. */
export interface GatewayStores {
  kind: StoreKind;
  sessions: SessionStore;
  approvals: ApprovalStore & ApprovalBacklog;
  overrides: OverrideStore;
  revocations: RevocationStore;
  memory: MemoryStore;
  pins: PinStore;
  killSwitches: KillSwitchStore;
  /** Announcements between replicas (policy reloads); null on one process. */
  fleet: FleetChannel | null;
  /** Each session's content log (argument provenance), the source of truth every replica catches up from. */
  provenance: ProvenanceStore;
  /** Each session's call counts and records read (Cedar context). */
  activity: SessionActivityStore;
  /** Push channel of kill-switch changes between replicas (PostgreSQL LISTEN/NOTIFY); null on one process. */
  killSwitchFeed: KillSwitchFeed | null;
  /** Where each audit shipper (SIEM destination) has got to. */
  shipCursors: ShipCursorStore;
  /** Idempotency keys and what came of them (one record per caller + key, shared by every replica). */
  idempotency: IdempotencyStore;
  /** Each session's usage against its budgets (one budget for every replica). */
  budgets: SessionBudgetStore;
  /**
   * The rate limiter of `config.limits`: on the fleet's Redis when `redis` is configured (one
   * budget for every replica), else in this process's memory; null when no limit is set.
   */
  rateLimiter(clock: Clock): RateLimiter | null;
  /** The audit log of `config.audit` (sharing this set's connections where it can). */
  openAudit(options: AuditOpenOptions): Promise<AuditStore>;
  /** Whether each backend answers now (for /readyz); never throws. */
  health(): Promise<Record<string, boolean>>;
  close(): Promise<void>;
}

export async function openGatewayStores(config: AirlockConfig): Promise<GatewayStores> {
  const redis = config.redis === undefined ? null : await openRedisFor(config);
  try {
    return withRedis(config, redis, await openStateStores(config));
  } catch (error) {
    redis?.disconnect();
    throw error;
  }
}

/** Adds the rate limiter (on Redis when configured) and Redis's health and closing to a store set. */
function withRedis(config: AirlockConfig, redis: Redis | null, stores: Omit<GatewayStores, 'rateLimiter'>): GatewayStores {
  const limits = config.limits;
  const limited = limits.perUser !== undefined || limits.perTool !== undefined || limits.perTenant !== undefined || limits.perSession !== undefined;
  return {
    ...stores,
    rateLimiter(clock) {
      if (!limited) return null;
      if (redis === null) return new MemoryRateLimiter(limits, clock);
      // On the system clock, Redis's own time: every replica reads one clock (see rate-limiter.ts).
      return new RedisRateLimiter(redis, limits, clock === systemClock ? 'redis' : clock, { timeoutMs: config.redis?.commandTimeoutMs ?? 500 });
    },
    async health() {
      const checks = await stores.health();
      if (redis !== null) checks.redis = await redis.ping().then(() => true, () => false);
      return checks;
    },
    async close() {
      redis?.disconnect();
      await stores.close();
    },
  };
}

async function openRedisFor(config: AirlockConfig): Promise<Redis> {
  const settings = config.redis as NonNullable<AirlockConfig['redis']>;
  const client = openRedis({ url: await connectionUrl(config, settings.url), keyPrefix: settings.keyPrefix, commandTimeoutMs: settings.commandTimeoutMs });
  // Not ready yet (Redis down at start): the gateway starts, refuses limited calls and reports
  // not ready until the client connects by itself.
  await redisReady(client, 3_000).catch(() => undefined);
  return client;
}

async function openStateStores(config: AirlockConfig): Promise<Omit<GatewayStores, 'rateLimiter'>> {
  const state = config.state;
  if (state.type === 'postgres') return postgresStores(config, await openPostgresFor(config));
  const db: DatabaseSync | null = state.type === 'sqlite' ? openDurableSqlite(state.path, { area: 'STATE' }) : null;
  return {
    kind: state.type,
    sessions: db === null ? new MemorySessionStore() : new SqliteSessionStore(db),
    approvals: db === null ? new MemoryApprovalStore() : new SqliteApprovalStore(db),
    overrides: db === null ? new MemoryOverrideStore() : new SqliteOverrideStore(db),
    revocations: db === null ? new MemoryRevocationStore() : new SqliteRevocationStore(db),
    memory: db === null ? new MemoryMemoryStore() : new SqliteMemoryStore(db),
    pins: db === null ? new MemoryPinStore() : new SqlitePinStore(db),
    killSwitches: db === null ? new MemoryKillSwitchStore() : new SqliteKillSwitchStore(db),
    killSwitchFeed: null,
    fleet: null,
    provenance: db === null ? new MemoryProvenanceStore() : new SqliteProvenanceStore(db),
    activity: db === null ? new MemorySessionActivityStore() : new SqliteSessionActivityStore(db),
    shipCursors: db === null ? new MemoryShipCursorStore() : new SqliteShipCursorStore(db),
    idempotency: db === null ? new MemoryIdempotencyStore() : new SqliteIdempotencyStore(db),
    budgets: db === null ? new MemorySessionBudgetStore() : new SqliteSessionBudgetStore(db),
    async openAudit(options) {
      return openAuditFor(config, options, null);
    },
    async health(): Promise<Record<string, boolean>> {
      if (db === null) return {};
      try {
        db.prepare('SELECT 1').get();
        return { state: true };
      } catch {
        return { state: false };
      }
    },
    async close() {
      db?.close();
    },
  };
}

/**
 * Every state store on the fleet's PostgreSQL, sharing one pool (and the audit log too when
 * it is on PostgreSQL). The schema is migrated at open (under the migration lock) unless
 * postgres.migrate_on_start is false, in which case a schema that is behind is refused.
 */
async function postgresStores(config: AirlockConfig, db: PostgresDatabase): Promise<Omit<GatewayStores, 'rateLimiter'>> {
  try {
    await assertDurableState(db);
    if (config.postgres?.migrateOnStart !== false) await migrate(db);
    else await assertMigrated(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    kind: 'postgres',
    sessions: new PostgresSessionStore(db),
    approvals: new PostgresApprovalStore(db),
    overrides: new PostgresOverrideStore(db),
    revocations: new PostgresRevocationStore(db),
    memory: new PostgresMemoryStore(db),
    pins: new PostgresPinStore(db),
    killSwitches: new PostgresKillSwitchStore(db),
    killSwitchFeed: new PostgresKillSwitchFeed(db),
    fleet: new PostgresFleetChannel(db),
    provenance: new PostgresProvenanceStore(db),
    activity: new PostgresSessionActivityStore(db),
    shipCursors: new PostgresShipCursorStore(db),
    idempotency: new PostgresIdempotencyStore(db),
    budgets: new PostgresSessionBudgetStore(db),
    async openAudit(options) {
      return openAuditFor(config, options, db);
    },
    async health() {
      return { postgres: await db.ping() };
    },
    async close() {
      await db.close();
    },
  };
}

async function openAuditFor(config: AirlockConfig, options: AuditOpenOptions, shared: PostgresDatabase | null): Promise<AuditStore> {
  const audit = config.audit;
  if (audit.type === 'memory') return new MemoryAuditStore({ clock: options.clock });
  if (audit.type === 'postgres') {
    // On the state's pool when the state is on PostgreSQL too; else on a pool of its own, closed with the store.
    const db = shared ?? (await openPostgresFor(config));
    try {
      if (shared === null) {
        if (config.postgres?.migrateOnStart !== false) await migrate(db);
        else await assertMigrated(db);
      }
      const store = await PostgresAuditStore.open(db, {
        clock: options.clock,
        // A pool opened for the audit log alone closes with it.
        ...(shared === null ? { release: () => db.close() } : {}),
        ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
        ...(options.checkpointKey === undefined ? {} : { checkpointKey: options.checkpointKey }),
      });
      return store;
    } catch (error) {
      if (shared === null) await db.close();
      throw error;
    }
  }
  return SqliteAuditStore.open(audit.path, {
    clock: options.clock,
    ...(options.writer === undefined ? {} : { writer: options.writer }),
    ...(options.othersInFlight === undefined ? {} : { othersInFlight: options.othersInFlight }),
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    ...(options.onFault === undefined ? {} : { onFault: options.onFault }),
    ...(options.onCheckpointError === undefined ? {} : { onCheckpointError: options.onCheckpointError }),
    ...(options.onCheckpointRecovered === undefined ? {} : { onCheckpointRecovered: options.onCheckpointRecovered }),
    ...(audit.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: audit.lockTimeoutMs }),
    ...(options.checkpointKey === undefined ? {} : { checkpointKey: options.checkpointKey }),
  });
}


/**
 * The MCP pins of a config's state as they are stored, read without creating anything (for
 * offline policy checks): none when the state is in memory or its database does not exist.
 */
export async function readStoredPins(config: AirlockConfig): Promise<PinRecord[]> {
  const state = config.state;
  if (state.type !== 'sqlite' || !existsSync(state.path)) return [];
  const db = openSqliteReadOnly(state.path);
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'mcp_pins'").get();
    return table === undefined ? [] : await new SqlitePinStore(db).list();
  } finally {
    db.close();
  }
}

/** A durable pin store for operators' commands (refused for memory state: pins live only inside the gateway). */
export async function openDurablePins(config: AirlockConfig): Promise<{ pins: PinStore; close(): Promise<void> } | null> {
  const state = config.state;
  if (state.type !== 'sqlite') return null;
  const db = openDurableSqlite(state.path, { area: 'STATE' });
  return { pins: new SqlitePinStore(db), close: async () => db.close() };
}

/** A config's durable audit log for appending outside a running gateway (operator decisions); null for memory. */
export async function openDurableAudit(config: AirlockConfig, options: { checkpointKey?: Uint8Array } = {}): Promise<AuditStore | null> {
  if (config.audit.type === 'memory') return null;
  return openAuditFor(config, { clock: { now: () => Date.now() }, ...options }, null);
}

/** A config's durable audit log opened for reading and verifying only; null for memory. */
export async function openAuditForReading(config: AirlockConfig, options: { checkpointKey?: Uint8Array } = {}): Promise<{ store: AuditStore; path: string; kind: 'sqlite' | 'postgres' } | null> {
  const audit = config.audit;
  if (audit.type === 'memory') return null;
  if (audit.type === 'postgres') {
    const db = await openPostgresFor(config);
    try {
      await assertMigrated(db);
      const store = await PostgresAuditStore.open(db, { release: () => db.close(), ...(options.checkpointKey === undefined ? {} : { checkpointKey: options.checkpointKey }) });
      return { store, path: `postgres schema ${db.schema}`, kind: 'postgres' };
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return { store: SqliteAuditStore.open(audit.path, { readOnly: true }), path: audit.path, kind: 'sqlite' };
}

/** A connection URL from config: a secret reference resolved now, or the literal (password-free) URL. */
async function connectionUrl(config: AirlockConfig, url: string): Promise<string> {
  if (!url.startsWith('env:') && !url.startsWith('file:')) return url;
  return new TextDecoder().decode(await resolveSecretRef(url, config.baseDir)).trim();
}

/** The config's PostgreSQL pool (config.postgres must be set). */
export async function openPostgresFor(config: AirlockConfig): Promise<PostgresDatabase> {
  const pg = config.postgres;
  if (pg === undefined) throw new AirlockError('ERR_CONFIG_INVALID', 'this config has no postgres section', { status: 400 });
  return PostgresDatabase.open({
    url: await connectionUrl(config, pg.url),
    schema: pg.schema,
    poolSize: pg.poolSize,
    connectTimeoutMs: pg.connectTimeoutMs,
    statementTimeoutMs: pg.statementTimeoutMs,
  });
}

/** The config's PostgreSQL pool for a tool outside the gateway: its schema must be migrated already (never migrated here). */
async function openMigratedPostgres(config: AirlockConfig): Promise<PostgresDatabase> {
  const db = await openPostgresFor(config);
  try {
    await assertMigrated(db);
    return db;
  } catch (error) {
    await db.close();
    throw error;
  }
}

/** `airlock db migrate`: applies the missing migrations of the config's PostgreSQL schema. */
export async function migratePostgres(config: AirlockConfig): Promise<MigrationReport & { schema: string }> {
  const db = await openPostgresFor(config);
  try {
    return { ...(await migrate(db)), schema: db.schema };
  } finally {
    await db.close();
  }
}

/**
 * For an upstream that verifies the gateway's just-in-time credentials: the config's
 * revocation store and a durable one-time-use store (the replay guard), on the same backend
 * as the gateway's state (SQLite file, or the fleet's PostgreSQL), so a revocation made on
 * any replica is honoured and a used credential stays used after the upstream restarts.
 * Memory state gives memory stores (they last as long as the process).
 */
export async function openUpstreamCredentialStores(config: AirlockConfig): Promise<{ revocations: RevocationStore; uses: CredentialUseStore; close(): Promise<void> }> {
  const state = config.state;
  if (state.type === 'postgres') {
    const db = await openMigratedPostgres(config);
    return { revocations: new PostgresRevocationStore(db), uses: new PostgresCredentialUseStore(db), close: () => db.close() };
  }
  if (state.type === 'sqlite') {
    const db = openDurableSqlite(state.path, { area: 'STATE' });
    return { revocations: new SqliteRevocationStore(db), uses: new SqliteCredentialUseStore(db), close: async () => db.close() };
  }
  return { revocations: new MemoryRevocationStore(), uses: new MemoryCredentialUseStore(), close: async () => undefined };
}

/**
 * `airlock audit ship`: the audit shipping cursors of a config's state, outside a running
 * gateway (the same rows the gateway's own shipper advances). Refused for memory state: a
 * cursor that is lost at exit would ship everything again at every run.
 */
export async function openShipCursors(config: AirlockConfig): Promise<{ cursors: ShipCursorStore; close(): Promise<void> } | null> {
  const state = config.state;
  if (state.type === 'postgres') {
    const db = await openMigratedPostgres(config);
    return { cursors: new PostgresShipCursorStore(db), close: () => db.close() };
  }
  if (state.type === 'sqlite') {
    const db = openDurableSqlite(state.path, { area: 'STATE' });
    return { cursors: new SqliteShipCursorStore(db), close: async () => db.close() };
  }
  return null;
}
