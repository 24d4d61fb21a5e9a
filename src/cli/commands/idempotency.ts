/**
 * `airlock idempotency list|show|resolve|check`: the operator's view of idempotency records —
 * above all the calls whose outcome is unknown — and the two ways to settle one: the
 * operator's word (`resolve --outcome executed|not_executed --justification ...`) or the
 * tool's authoritative status check (`check`). Same token, roles and audit as over HTTP.
 */
import type { IdempotencyRecordView } from '../../pipeline/index.ts';
import { dim, printJson, table } from '../output.ts';
import { type OperatorOptions, withGateway } from './operator.ts';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function rows(records: IdempotencyRecordView[]): string {
  if (records.length === 0) return dim('no idempotency records');
  return table(
    ['id', 'state', 'tool', 'key', 'caller', 'action', 'created'],
    records.map((r) => [r.id, r.reported_state, r.tool, r.key.length > 32 ? `${r.key.slice(0, 29)}...` : r.key, r.owner.agent === null ? r.owner.user : `${r.owner.user} via ${r.owner.agent}`, r.action_id, iso(r.created_at)]),
  );
}

export async function idempotencyListCommand(options: OperatorOptions & { state?: string; limit?: string }): Promise<void> {
  const filter = { ...(options.state === undefined ? {} : { state: options.state }), ...(options.limit === undefined ? {} : { limit: Number(options.limit) }) };
  const records = await withGateway(options, (g, t) => g.listIdempotencyRecords(t, filter));
  if (options.json === true) printJson({ records });
  else process.stdout.write(`${rows(records)}\n`);
}

export async function idempotencyShowCommand(id: string, options: OperatorOptions): Promise<void> {
  const record = await withGateway(options, (g, t) => g.getIdempotencyRecord(t, id));
  printJson({ record });
}

export async function idempotencyResolveCommand(id: string, options: OperatorOptions & { outcome: string; justification: string }): Promise<void> {
  const record = await withGateway(options, (g, t) => g.resolveIdempotencyRecord(t, id, options.outcome, options.justification));
  if (options.json === true) printJson({ record });
  else process.stdout.write(`${record.id} resolved as ${options.outcome}${options.outcome === 'not_executed' ? ' (the key may run once more)' : ' (retries replay)'}\n`);
}

export async function idempotencyCheckCommand(id: string, options: OperatorOptions): Promise<void> {
  const answer = await withGateway(options, (g, t) => g.checkIdempotencyRecord(t, id));
  if (options.json === true) printJson(answer);
  else process.stdout.write(`status check of ${id}: ${answer.verdict}${answer.verdict === 'unknown' ? ' (still unresolved)' : ' (resolved)'}\n`);
}
