/**
 * `airlock audit verify`, `airlock audit trace` and `airlock audit drill`: read the audit log
 * of a config directly (an operator with access to its files), verify the chain (against
 * anchors recorded outside the host when given), print lineage, and drill one id down to its
 * full action chain (exit 1 when a link is missing).
 */
import { existsSync } from 'node:fs';
import { openAuditLog, parseAnchor, verifyJsonlExport } from '../../pipeline/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { green, printJson, printable, red } from '../output.ts';

export async function auditVerifyCommand(options: {
  config?: string;
  /** A JSONL export (`audit export`) to verify instead of the config's log. */
  jsonl?: string;
  json?: boolean;
  /** `seq:hash` heads recorded outside the host. */
  anchor?: string[];
  /** Copies of checkpoint files published outside the host. */
  expectCheckpoint?: string[];
}): Promise<void> {
  if (options.jsonl !== undefined) {
    // Outside heads are checked against the file as against a log; never silently left out.
    if ((options.expectCheckpoint ?? []).length > 0) {
      throw new CliExit(2, '--expect-checkpoint is checked with the key of a config (--config); for an export pass the published head as --anchor SEQ:HASH');
    }
    return verifyJsonlCommand(options.jsonl, options.json === true, options.anchor ?? []);
  }
  if (options.config === undefined) throw new CliExit(2, 'give --config FILE (the log of a config) or --jsonl FILE (an export)');
  const log = await openAuditLog(await loadConfigOrExit(options.config));
  try {
    const report = await log.verify({ anchors: options.anchor ?? [], checkpointFiles: options.expectCheckpoint ?? [] });
    if (options.json === true) printJson(report);
    else if (report.ok) {
      process.stdout.write(`${green('OK')} audit chain verified: ${report.checked} events, head seq ${report.head?.seq ?? 0} ${report.head?.hash ?? ''}\n`);
      if ((report.pruned ?? 0) > 0) process.stdout.write(`${report.pruned} pruned event(s), each vouched for by its audit.pruned record\n`);
    } else {
      const bad = report.firstBad;
      process.stdout.write(`${red('BROKEN')} audit chain: first bad event at seq ${bad?.seq ?? '?'} (${printable(bad?.reason ?? 'unknown')}): ${printable(bad?.message ?? '')}\n`);
    }
    if (!report.ok) throw new CliExit(1, '');
  } finally {
    await log.close();
  }
}

export async function auditTraceCommand(id: string, options: { config: string; json?: boolean; tenant?: string }): Promise<void> {
  const log = await openAuditLog(await loadConfigOrExit(options.config));
  try {
    const lineage = await log.trace(id, options.tenant === undefined ? {} : { tenant: options.tenant });
    if (lineage === null) throw new CliExit(1, `no audit events for ${id}`);
    if (options.json === true) printJson({ id, events: lineage.events, tree: lineage.tree });
    else process.stdout.write(`${printable(lineage.text, { newlines: true })}\n`);
  } finally {
    await log.close();
  }
}

export async function auditDrillCommand(options: { id: string; config: string; json?: boolean; tenant?: string }): Promise<void> {
  const log = await openAuditLog(await loadConfigOrExit(options.config));
  try {
    const report = await log.drill(options.id, options.tenant === undefined ? {} : { tenant: options.tenant });
    // Nothing visible: answered exactly like trace (an unknown id and another tenant's look the same).
    if (!report.found) throw new CliExit(1, `no audit events for ${options.id}`);
    if (options.json === true) {
      const { text: _text, ...machine } = report;
      printJson(machine);
    } else process.stdout.write(printable(report.text, { newlines: true }));
    if (!report.complete) throw new CliExit(1, '');
  } finally {
    await log.close();
  }
}

/**
 * `audit verify --jsonl FILE [--anchor SEQ:HASH]`: the chain check over an export (from its first
 * event's prev_hash when it starts after seq 1), holding every anchored head.
 */
async function verifyJsonlCommand(path: string, json: boolean, anchors: readonly string[]): Promise<void> {
  const expect = anchors.map(parseAnchor);
  if (!existsSync(path)) throw new CliExit(2, `no such file: ${path}`);
  const report = await verifyJsonlExport(path, { expect });
  if (json) printJson(report);
  else if (report.ok) {
    const from = report.from_seq === null || report.from_seq === 1 ? 'from genesis' : `from seq ${report.from_seq} (its first prev_hash)`;
    process.stdout.write(`${green('OK')} exported chain verified ${from}: ${report.checked} events, head seq ${report.head?.seq ?? 0} ${report.head?.hash ?? ''}\n`);
    if ((report.pruned ?? 0) > 0) process.stdout.write(`${report.pruned} pruned event(s) vouched for by the prune records in the file\n`);
    if ((report.unvouched ?? 0) > 0) {
      const seqs = report.unvouchedSeqs ?? [];
      const more = (report.unvouched ?? 0) > seqs.length ? ` and ${(report.unvouched ?? 0) - seqs.length} more` : '';
      process.stdout.write(`${report.unvouched} pruned event(s) whose prune record lies after the end of the file: not vouched for by it (seq ${seqs.join(', ')}${more})\n`);
    }
  } else {
    const bad = report.firstBad;
    process.stdout.write(`${red('BROKEN')} exported chain: first bad event at seq ${bad?.seq ?? '?'} (${printable(bad?.reason ?? 'unknown')}): ${printable(bad?.message ?? '')}\n`);
  }
  if (!report.ok) throw new CliExit(1, '');
}
