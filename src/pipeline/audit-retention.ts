/**
 * Audit retention wired to a config (`audit.retention`, docs/audit.md "Retention"): one prune
 * run over the config's log for `airlock audit prune` (the log opened by this process), and
 * the timer that prunes the gateway's own log from `serve` when `schedule_minutes` is set
 * (off by default; one run at a time; a failed run is reported and the next one tries again).
 */
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import type { AirlockConfig } from '../config/index.ts';
import { resolveSecretRef } from '../config/index.ts';
import type { AuditStore, Checkpoint } from '../audit/index.ts';
import { isPrunable, pruneAudit } from '../audit/retention/index.ts';
import type { PruneProgress, PruneReport } from '../audit/retention/index.ts';
import { openAuditForReading, openDurableAudit } from '../stores/index.ts';

function retentionOf(config: AirlockConfig) {
  const retention = config.auditRetention;
  if (retention === undefined) {
    throw new AirlockError('ERR_AUDIT_RETENTION_OFF', 'this config has no audit.retention section: nothing is ever pruned (everything is kept)', { status: 400 });
  }
  return retention;
}

/** The store's signed checkpoint, for adapters that keep one (SQLite, PostgreSQL). */
async function storedCheckpoint(store: AuditStore): Promise<Checkpoint | null> {
  const withCheckpoint = store as AuditStore & { checkpoint?: () => Promise<Checkpoint | null> };
  return typeof withCheckpoint.checkpoint === 'function' ? withCheckpoint.checkpoint() : null;
}

/**
 * Events per batch when the gateway prunes its own log: a SQLite batch commits on the store's
 * connection, on the event loop, so batches stay small (a few ms each) beside live calls.
 */
const SCHEDULED_BATCH = 64;

async function runOn(
  store: AuditStore,
  config: AirlockConfig,
  options: { now: number; dryRun: boolean; by: string; key?: Uint8Array; batchSize?: number; onProgress?: (p: PruneProgress) => void },
): Promise<PruneReport> {
  const retention = retentionOf(config);
  if (!isPrunable(store)) throw new AirlockError('ERR_AUDIT_PRUNE_UNSUPPORTED', 'this audit store cannot prune', { status: 400 });
  const checkpoint = await storedCheckpoint(store);
  return pruneAudit(store, {
    policy: retention,
    now: options.now,
    dryRun: options.dryRun,
    by: options.by,
    maxEvents: retention.maxEventsPerRun,
    ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
    ...(checkpoint === null ? {} : { checkpoint }),
    ...(options.key === undefined ? {} : { checkpointKey: options.key }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
}

/**
 * `airlock audit prune`: one run over the config's log (a dry run opens it read-only). Throws
 * ERR_AUDIT_RETENTION_OFF without `audit.retention`, ERR_AUDIT_NOT_PERSISTENT for a memory log,
 * ERR_AUDIT_PRUNE_CHAIN_INVALID when the log does not verify (nothing pruned).
 */
export async function pruneAuditLog(config: AirlockConfig, options: { dryRun?: boolean; now?: number; onProgress?: (p: PruneProgress) => void } = {}): Promise<PruneReport> {
  retentionOf(config);
  const dryRun = options.dryRun === true;
  const key = config.audit.type === 'memory' || config.audit.checkpointKey === undefined ? undefined : await resolveSecretRef(config.audit.checkpointKey, config.baseDir);
  const keyed = key === undefined ? {} : { checkpointKey: key };
  const store = dryRun ? (await openAuditForReading(config, keyed))?.store : await openDurableAudit(config, keyed);
  if (store === undefined || store === null) throw new AirlockError('ERR_AUDIT_NOT_PERSISTENT', 'this config keeps its audit log in memory: there is nothing on disk to prune', { status: 400 });
  try {
    return await runOn(store, config, {
      now: options.now ?? Date.now(),
      dryRun,
      by: 'cli',
      ...(key === undefined ? {} : { key }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  } finally {
    await store.close();
  }
}

export interface PruneSchedule {
  /** Waits for a run in progress, then stops the timer. */
  stop(): Promise<void>;
}

/** Prunes `audit` every `audit.retention.schedule_minutes` (null when not configured). */
export function startPruneSchedule(setup: {
  config: AirlockConfig;
  audit: AuditStore;
  clock: Clock;
  key?: Uint8Array;
  onPruned?: (report: PruneReport) => void;
  onFault?: (what: string, error: unknown) => void;
}): PruneSchedule | null {
  const minutes = setup.config.auditRetention?.scheduleMinutes;
  if (minutes === undefined) return null;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running !== null) return;
    running = runOn(setup.audit, setup.config, { now: setup.clock.now(), dryRun: false, by: 'scheduler', batchSize: SCHEDULED_BATCH, ...(setup.key === undefined ? {} : { key: setup.key }) })
      .then(
        (report) => setup.onPruned?.(report),
        (error: unknown) => setup.onFault?.('audit retention prune', error),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, minutes * 60_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
