/**
 * `airlock audit verify` and `airlock audit trace`: read the audit log of a config
 * directly (an operator with access to its files), verify the chain (against anchors
 * recorded outside the host when given), print lineage.
 */
import { openAuditLog } from '../../pipeline/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { green, printJson, red } from '../output.ts';

export async function auditVerifyCommand(options: {
  config: string;
  json?: boolean;
  /** `seq:hash` heads recorded outside the host. */
  anchor?: string[];
  /** Copies of checkpoint files published outside the host. */
  expectCheckpoint?: string[];
}): Promise<void> {
  const log = await openAuditLog(await loadConfigOrExit(options.config));
  try {
    const report = await log.verify({ anchors: options.anchor ?? [], checkpointFiles: options.expectCheckpoint ?? [] });
    if (options.json === true) printJson(report);
    else if (report.ok) {
      process.stdout.write(`${green('OK')} audit chain verified: ${report.checked} events, head seq ${report.head?.seq ?? 0} ${report.head?.hash ?? ''}\n`);
    } else {
      const bad = report.firstBad;
      process.stdout.write(`${red('BROKEN')} audit chain: first bad event at seq ${bad?.seq ?? '?'} (${bad?.reason ?? 'unknown'}): ${bad?.message ?? ''}\n`);
    }
    if (!report.ok) throw new CliExit(1, '');
  } finally {
    await log.close();
  }
}

export async function auditTraceCommand(id: string, options: { config: string; json?: boolean }): Promise<void> {
  const log = await openAuditLog(await loadConfigOrExit(options.config));
  try {
    const lineage = await log.trace(id);
    if (lineage === null) throw new CliExit(1, `no audit events for ${id}`);
    if (options.json === true) printJson({ id, events: lineage.events, tree: lineage.tree });
    else process.stdout.write(`${lineage.text}\n`);
  } finally {
    await log.close();
  }
}
