/**
 * One-line action summaries for reviewers and simulate: tool, target and the safe
 * argument summary (never raw argument values beyond what the summary allows).
 */
import type { JsonValue } from '../core/canonical.ts';
import type { CallState } from './call.ts';

function render(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object' || Array.isArray(value)) return JSON.stringify(value);
  return Object.entries(value)
    .map(([key, v]) => `${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function actionSummary(call: CallState): string {
  const tool = call.tool;
  if (tool === undefined) return `${String(call.request.tool)} (unresolved)`;
  const target = call.resource?.id == null ? '' : ` on ${call.resource.type} ${call.resource.id}`;
  const count = call.affectedCount === undefined ? '' : `, ${call.affectedCount} affected`;
  const args = render(call.argsSummary);
  return `${tool.name} [${tool.sideEffect}]${target}${count}${args === '' ? '' : ` — ${args}`}`;
}
