/**
 * `airlock simulate`: one dry run of a tool call through the gateway of a config
 * (Gateway.simulate: every phase up to the decision, nothing executed, the dry run recorded
 * in the audit log), printed for people — outcome, code, reasons with their rule ids,
 * checks and obligations — or as JSON.
 */
import { AirlockError } from '../../core/errors.ts';
import type { SimulationResult } from '../../pipeline/index.ts';
import { createGateway, loadToolkit } from '../../pipeline/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';
import { bold, dim, outcomeLabel, printJson, printable } from '../output.ts';

export interface SimulateOptions {
  config: string;
  token?: string;
  tool: string;
  args?: string;
  session?: string;
  intent?: string;
  json?: boolean;
}

function usage(message: string): AirlockError {
  return new AirlockError('ERR_CLI_USAGE', message, { status: 400 });
}

export function renderSimulation(result: SimulationResult): string {
  const d = result.decision;
  const lines = [
    `${outcomeLabel(result.outcome)} ${d.code}  ${dim(`(decided by ${d.decided_by}, policy ${d.policy_version})`)}`,
    `${bold('action')}: ${result.summary}`,
    `${bold('reasons')}:`,
    ...d.reasons.map((r) => `  ${r.effect === 'permit' ? '+' : '-'} ${r.policy_id} (${r.code}): ${r.reason}`),
    `${bold('checks')}: action_class ${d.checks.action_class.passed ? 'passed' : 'failed'} [${d.checks.action_class.policy_ids.join(', ')}], parameters ${d.checks.parameters.passed ? 'passed' : 'failed'} [${d.checks.parameters.policy_ids.join(', ')}]`,
  ];
  if (result.approval.required) lines.push(`${bold('approval')}: required from role ${result.approval.role ?? '?'}`);
  if (d.obligations.credentialScope !== undefined) {
    lines.push(`${bold('credential')}: scope ${d.obligations.credentialScope}${d.obligations.credentialTtlSeconds === undefined ? '' : `, ttl ${d.obligations.credentialTtlSeconds}s`}`);
  }
  if (d.taint !== undefined && d.taint.length > 0) {
    lines.push(`${bold('tainted arguments')}: ${d.taint.map((t) => `${t.argument} (${t.evidence ?? 'unnamed'} from ${t.sources.join(', ')})`).join('; ')}`);
  }
  for (const e of d.errors) lines.push(`${bold('error')}: ${e}`);
  lines.push(dim(`affected resources ${result.affected_resources}; request ${result.request_id}, action ${result.action_id}, decision ${result.decision_id}`));
  return `${lines.join('\n')}\n`;
}

export async function simulateCommand(options: SimulateOptions): Promise<void> {
  const token = options.token ?? process.env.AIRLOCK_TOKEN;
  if (token === undefined || token === '') throw usage('a bearer token is required: --token JWT or AIRLOCK_TOKEN');
  let args: unknown = {};
  if (options.args !== undefined) {
    try {
      args = JSON.parse(options.args);
    } catch {
      throw usage('--args must be a JSON object');
    }
  }
  const config = await loadConfigOrExit(options.config);
  const gateway = await createGateway(config, await loadToolkit(config));
  let result: SimulationResult;
  try {
    result = await gateway.simulate({
      token,
      tool: options.tool,
      arguments: args,
      ...(options.session === undefined ? {} : { session_id: options.session }),
      ...(options.intent === undefined ? {} : { intent: options.intent }),
    });
  } finally {
    await gateway.close();
  }
  if (options.json === true) printJson(result);
  else process.stdout.write(printable(renderSimulation(result), { newlines: true }));
}
