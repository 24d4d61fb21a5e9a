/**
 * `airlock audit prune`: applies the config's `audit.retention` to its audit log once — verify
 * the chain from genesis, then per batch one `audit.pruned` record plus the tombstones it
 * covers — and prints what was (or, with --dry-run, would be) removed per data class. Progress
 * goes to stderr; exit 1 when the log does not verify (nothing is pruned then).
 */
import type { Command } from 'commander';
import type { AirlockConfig } from '../../config/types.ts';
import { pruneAuditLog } from '../../pipeline/index.ts';
import type { PruneReport } from '../../pipeline/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { bold, dim, green, printJson, table } from '../output.ts';

function rows(config: AirlockConfig, report: PruneReport): string[][] {
  const retention = config.auditRetention;
  const out: string[][] = [];
  for (const cls of ['arguments', 'content', 'detail', 'identity', 'results'] as const) {
    const rule = retention?.classes[cls];
    out.push([cls, rule === undefined ? 'kept' : `${rule.maxAgeDays} d`, report.horizons[cls] ?? '-', String(report.byClass[cls])]);
  }
  for (const rule of retention?.events ?? []) {
    out.push([`events: ${rule.type}`, `${rule.maxAgeDays} d`, report.horizons[`events:${rule.type}`] ?? '-', 'all classes']);
  }
  return out;
}

export function renderPruneReport(config: AirlockConfig, report: PruneReport): string {
  const head = report.verified === null ? 'empty log' : `verified ${report.verified.seq} events up to ${report.verified.hash}`;
  const lines = [
    `${bold(report.dryRun ? 'audit prune (dry run)' : 'audit prune')}  ${dim(head)}`,
    '',
    table(['class', 'max age', 'due before', 'events'], rows(config, report)),
    '',
  ];
  const due = `${report.due} event(s) due${report.truncated ? ` (capped by max_events_per_run; run again for the rest)` : ''}`;
  if (report.dryRun) lines.push(`${due}; nothing written (dry run)`);
  else if (report.pruned === 0) lines.push(`${due}; nothing to prune`);
  else {
    const first = report.records[0];
    const last = report.records.at(-1);
    lines.push(`${green('PRUNED')} ${report.pruned} event(s) in ${report.records.length} record(s) (audit.pruned at seq ${first}${last === first ? '' : `..${last}`})`);
  }
  lines.push(dim(`verify ${Math.round(report.verifyMs)} ms, write ${Math.round(report.writeMs)} ms`));
  return `${lines.join('\n')}\n`;
}

export async function auditPruneCommand(options: { config: string; dryRun?: boolean; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let lastSaid = 0;
  let report: PruneReport;
  try {
    report = await pruneAuditLog(config, {
      dryRun: options.dryRun === true,
      onProgress: (p) => {
        if (p.phase === 'verified') say(`verified the chain up to seq ${p.verifiedSeq}; ${p.due} event(s) due`);
        else if (p.pruned === p.due || performance.now() - lastSaid > 1000) {
          lastSaid = performance.now();
          say(`pruned ${p.pruned}/${p.due}`);
        }
      },
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_AUDIT_PRUNE_CHAIN_INVALID') {
      throw new CliExit(1, `${(error as Error).message} (run airlock audit verify for details)`);
    }
    throw error;
  }
  if (options.json === true) printJson(report);
  else process.stdout.write(renderPruneReport(config, report));
}

export function registerAuditPruneCommand(audit: Command): void {
  audit
    .command('prune')
    .description('apply audit.retention: remove due data classes from old events, keeping the chain verifiable (one audit.pruned record per batch)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--dry-run', 'verify and report what would be pruned; write nothing')
    .option('--json', 'machine-readable report')
    .action(auditPruneCommand);
}
