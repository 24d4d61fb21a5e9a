/** `airlock config check` (every start-up check of `serve`) and `airlock policy check|schema`. */
import { AirlockError, isAirlockError } from '../../core/errors.ts';
import type { AirlockConfig } from '../../config/types.ts';
import { formatConfigErrors, loadConfig } from '../../config/index.ts';
import { checkPolicyBundle } from '../../pipeline/index.ts';
import type { CheckProblem } from '../config-checks.ts';
import { runConfigChecks } from '../config-checks.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { green, printJson, red } from '../output.ts';

async function engineFor(path: string) {
  const config = await loadConfigOrExit(path);
  try {
    return { config, engine: await checkPolicyBundle(config) };
  } catch (error) {
    if (isAirlockError(error) && error.code === 'ERR_POLICY_INVALID') {
      const diagnostics = (error.details?.diagnostics ?? []) as Array<{ file?: string; line?: number; policy_id?: string; message: string }>;
      const lines = diagnostics.map(
        (d) => `  ${d.file ?? '?'}${d.line === undefined ? '' : `:${d.line}`}${d.policy_id === undefined ? '' : ` [${d.policy_id}]`} ${d.message}`,
      );
      throw new CliExit(2, `${red('INVALID')} policy bundle ${config.policy.bundleDir}\n${lines.join('\n')}`);
    }
    throw error;
  }
}

/** Exit code of a config that cannot start (a bad file, or a failed start-up check). */
const EXIT_INVALID = 2;

/** The config file of `config check`: the positional argument or `--config` (one of them, or both the same). */
function configFileOf(file: string | undefined, option: string | undefined): string {
  if (file !== undefined && option !== undefined && file !== option) {
    throw new AirlockError('ERR_CLI_USAGE', `two config files given (${file} and --config ${option}); give one`, { status: 400 });
  }
  const chosen = file ?? option;
  if (chosen === undefined) throw new AirlockError('ERR_CLI_USAGE', 'give the config file: airlock config check --config FILE', { status: 400 });
  return chosen;
}

function problemLines(problem: CheckProblem): string[] {
  const head = `  [${problem.check}]${problem.at === undefined ? '' : ` ${problem.at}:`} ${problem.code}: ${problem.message}`;
  const diagnostics = (problem.diagnostics ?? []).map(
    (d) => `      ${d.file ?? '?'}${d.line === undefined ? '' : `:${d.line}`}${d.policy_id === undefined ? '' : ` [${d.policy_id}]`} ${d.message}`,
  );
  return [head, ...diagnostics];
}

/**
 * `airlock config check [FILE] [--config FILE] [--json]`: loads the config and runs every
 * start-up check of `serve` (src/cli/config-checks.ts). Exit 0 when all pass, 2 otherwise;
 * with --json the answer (success or error object) is on stdout either way.
 */
export async function configCheckCommand(file: string | undefined, options: { json?: boolean; config?: string }): Promise<void> {
  const json = options.json === true;
  const fail = (error: { code: string; message: string; details?: Record<string, unknown> }, text: string): never => {
    if (json) {
      printJson({ ok: false, error });
      throw new CliExit(EXIT_INVALID, '');
    }
    throw new CliExit(EXIT_INVALID, text);
  };
  let path: string;
  try {
    path = configFileOf(file, options.config);
  } catch (error) {
    const e = error as AirlockError;
    return fail(e.toJSON(), `airlock: ${e.code}: ${e.message}`);
  }
  let config: AirlockConfig;
  try {
    config = await loadConfig(path);
  } catch (error) {
    if (isAirlockError(error) && error.code.startsWith('ERR_CONFIG_')) return fail(error.toJSON(), formatConfigErrors(error));
    throw error;
  }
  const result = await runConfigChecks(config);
  if (result.problems.length > 0 || result.engine === null) {
    const message = `${result.problems.length} start-up check(s) failed`;
    return fail(
      { code: 'ERR_CONFIG_CHECK_FAILED', message, details: { config: config.source, problems: result.problems } },
      [`${red('INVALID')} ${config.source}: ${message}`, ...result.problems.flatMap(problemLines)].join('\n'),
    );
  }
  const engine = result.engine;
  const summary = {
    ok: true,
    config: config.source,
    tools: config.tools.length,
    issuers: config.identity.issuers.map((i) => i.issuer),
    policy_version: engine.version,
    audit: config.audit.type,
    handlers_module: config.handlersModule ?? null,
    secrets: result.secrets,
  };
  if (json) printJson(summary);
  else {
    process.stdout.write(
      `${green('OK')} ${config.source}: ${summary.tools} tools, ${summary.issuers.length} issuer(s), policy bundle ${engine.version}, audit ${summary.audit}, ${result.secrets.length} secret(s) resolvable\n`,
    );
  }
}

export async function policyCheckCommand(options: { config: string; json?: boolean }): Promise<void> {
  const { config, engine } = await engineFor(options.config);
  if (options.json === true) printJson({ ok: true, bundle_dir: config.policy.bundleDir, version: engine.version });
  else process.stdout.write(`${green('OK')} policy bundle ${config.policy.bundleDir} validates (strict): ${engine.version}\n`);
}

export async function policySchemaCommand(options: { config: string }): Promise<void> {
  const { engine } = await engineFor(options.config);
  process.stdout.write(`${engine.schemaText()}\n`);
}
