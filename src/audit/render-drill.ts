/**
 * renderDrill: a drill report as a table for people — one block per action, one row per
 * link (status, link, what the log shows or what is missing) — and a verdict line with the
 * time it took. Every value comes from the log, so each goes through safeText.
 */
import type { DrillReport } from './drill.ts';
import { safeText } from './render-lineage.ts';

const MARK = { ok: 'ok  ', missing: 'MISS', pruned: 'PRUN', 'n/a': 'n/a ' } as const;

export function renderDrill(report: DrillReport): string {
  const lines = [`drill of ${safeText(report.id)}`];
  if (!report.found) lines.push('(no audit events for this id)');
  for (const action of report.actions) {
    lines.push('');
    lines.push(
      `action ${safeText(action.action_id)}  tool ${safeText(action.tool ?? '?')}  ${safeText(action.mode ?? '?')}/${safeText(action.outcome ?? '?')}  request ${safeText(action.request_id)}  trace ${safeText(action.trace_id)}`,
    );
    for (const l of action.links) lines.push(`  ${MARK[l.status]}  ${l.link.padEnd(10)}  ${safeText(l.detail)}`);
  }
  if (report.records.length > 0) {
    lines.push('');
    lines.push('records (no action):');
    for (const r of report.records) {
      const who = r.actor.user === null ? 'gateway' : `${r.actor.user}@${r.actor.tenant ?? '?'}`;
      lines.push(`  #${r.seq}  ${safeText(r.ts)}  ${safeText(r.type)}  by ${safeText(who)}`);
    }
  }
  if (report.actions_omitted > 0) lines.push(`(${report.actions_omitted} more actions not drilled: drill one of their ids)`);
  const missing = report.actions.reduce((n, a) => n + a.links.filter((l) => l.status === 'missing').length, 0);
  const pruned = report.actions.reduce((n, a) => n + a.links.filter((l) => l.status === 'pruned').length, 0);
  const removed = pruned === 0 ? '' : ` (${pruned} link${pruned === 1 ? '' : 's'} removed by retention)`;
  const verdict = report.complete ? `COMPLETE${removed}` : report.found ? `INCOMPLETE (${missing} missing link${missing === 1 ? '' : 's'})${removed}` : 'NOT FOUND';
  lines.push('');
  lines.push(`${verdict}: ${report.actions.length} action${report.actions.length === 1 ? '' : 's'}, ${report.lookups} lookups, ${report.elapsed_ms.toFixed(1)} ms`);
  return `${lines.join('\n')}\n`;
}
