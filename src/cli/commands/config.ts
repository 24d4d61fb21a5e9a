/** `airlock config check` and `airlock policy check|schema`. */
import { isAirlockError } from '../../core/errors.ts';
import { checkPolicyBundle } from '../../pipeline/index.ts';
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

export async function configCheckCommand(file: string, options: { json?: boolean }): Promise<void> {
  const { config, engine } = await engineFor(file);
  const summary = {
    ok: true,
    config: config.source,
    tools: config.tools.length,
    issuers: config.identity.issuers.map((i) => i.issuer),
    policy_version: engine.version,
    audit: config.audit.type,
  };
  if (options.json === true) printJson(summary);
  else {
    process.stdout.write(
      `${green('OK')} ${config.source}: ${summary.tools} tools, ${summary.issuers.length} issuer(s), policy bundle ${engine.version}, audit ${summary.audit}\n`,
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
