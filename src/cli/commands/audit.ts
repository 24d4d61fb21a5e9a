/**
 * `airlock audit verify` and `airlock audit trace`: read the audit store of a config
 * directly (an operator with access to the files), verify its chain, print lineage.
 */
import type { AuditStore } from '../../core/types.ts';
import type { AirlockConfig } from '../../config/types.ts';
import { resolveSecretRef } from '../../config/index.ts';
import { SqliteAuditStore, buildLineage, readAll, readCheckpoint, renderLineage, verifyChain } from '../../audit/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { green, printJson, red } from '../output.ts';

async function openStore(config: AirlockConfig): Promise<{ store: AuditStore; path: string; key: Uint8Array | undefined }> {
  if (config.audit.type !== 'sqlite') throw new CliExit(2, 'this config keeps its audit log in memory: nothing to read from the command line');
  const key = config.audit.checkpointKey === undefined ? undefined : await resolveSecretRef(config.audit.checkpointKey, config.baseDir);
  return { store: SqliteAuditStore.open(config.audit.path, key === undefined ? {} : { checkpointKey: key }), path: config.audit.path, key };
}

export async function auditVerifyCommand(options: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const { store, path, key } = await openStore(config);
  try {
    const checkpoint = key === undefined ? undefined : readCheckpoint(path, key);
    const report = await verifyChain(readAll(store), checkpoint === undefined || checkpoint === null ? {} : { checkpoint });
    if (options.json === true) printJson(report);
    else if (report.ok) {
      process.stdout.write(`${green('OK')} audit chain verified: ${report.checked} events, head seq ${report.head?.seq ?? 0} ${report.head?.hash ?? ''}\n`);
    } else {
      const bad = report.firstBad;
      process.stdout.write(`${red('BROKEN')} audit chain: first bad event at seq ${bad?.seq ?? '?'} (${bad?.reason ?? 'unknown'}): ${bad?.message ?? ''}\n`);
    }
    if (!report.ok) throw new CliExit(1, '');
  } finally {
    await store.close();
  }
}

export async function auditTraceCommand(id: string, options: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const { store } = await openStore(config);
  try {
    const events = await store.findRelated(id);
    if (events.length === 0) throw new CliExit(1, `no audit events for ${id}`);
    const tree = buildLineage(events, id);
    if (options.json === true) printJson({ id, events, tree });
    else process.stdout.write(`${renderLineage(tree)}\n`);
  } finally {
    await store.close();
  }
}
