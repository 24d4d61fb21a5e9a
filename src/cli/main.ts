#!/usr/bin/env node
/**
 * The `airlock` command line: a thin door onto the gateway and its stores. Each
 * subcommand lives in commands/; this file only declares them.
 */
import { Command } from 'commander';
import { isAirlockError } from '../core/errors.ts';
import { CliExit } from './config-loading.ts';
import { auditDrillCommand, auditTraceCommand, auditVerifyCommand } from './commands/audit.ts';
import { registerAuditSearchCommands } from './commands/audit-search.ts';
import { registerAuditShipCommand } from './commands/audit-ship.ts';
import { registerAuditPruneCommand } from './commands/audit-prune.ts';
import { configCheckCommand, policyCheckCommand, policySchemaCommand } from './commands/config.ts';
import { demoCommand } from './commands/demo.ts';
import { dbMigrateCommand } from './commands/db.ts';
import {
  approvalsDecideCommand,
  approvalsListCommand,
  credentialsRevokeCommand,
  killswitchEngageCommand,
  killswitchListCommand,
  killswitchReleaseCommand,
  overridesCreateCommand,
  overridesListCommand,
  overridesRevokeCommand,
} from './commands/operator.ts';
import { idempotencyCheckCommand, idempotencyListCommand, idempotencyResolveCommand, idempotencyShowCommand } from './commands/idempotency.ts';
import { policyTestCommand } from './commands/policy-test.ts';
import { serveCommand, startCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { tokenMintCommand } from './commands/token.ts';
import { mcpCommands } from './commands/mcp-program.ts';
import { packageVersion } from './package-info.ts';

export function buildProgram(): Command {
  const program = new Command('airlock')
    .description('Runtime security gateway for LLM agents')
    .version(packageVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });

  program
    .command('start')
    .description('serve the support-desk demo on its embedded defaults (SQLite under ./.airlock/)')
    .option('--port <port>', 'port (default 8787, or AIRLOCK_PORT)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .action(startCommand);

  program
    .command('serve')
    .description('serve the HTTP gateway for a config')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--port <port>', 'port (overrides the config and AIRLOCK_PORT)')
    .option('--host <host>', 'interface to bind')
    .action(serveCommand);

  const token = program.command('token').description('identity tokens');
  token
    .command('mint')
    .description('mint a dev token (HS256 issuers only)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .requiredOption('--sub <user>', 'user id (sub)')
    .requiredOption('--tenant <tenant>', 'tenant')
    .option('--roles <roles>', 'comma-separated roles', '')
    .option('--agent <agent>', 'acting agent (act.sub)')
    .option('--ttl <seconds>', 'lifetime in seconds (default 3600; at most identity.max_token_age_seconds)')
    .option('--issuer <issuer>', 'issuer to mint for (default: the first HS256 issuer)')
    .option('--session <sid>', 'session id claim (sid)')
    .action(tokenMintCommand);

  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('verify the hash chain (of a config\'s log, or of an export with --jsonl); exits 1 when it is broken')
    .option('--config <file>', 'airlock.yaml')
    .option('--jsonl <file>', 'verify an `audit export` file instead')
    .option('--json', 'machine-readable output')
    .option('--expect-checkpoint <file>', 'a copy of the checkpoint file published outside the host; the log must hold it (repeatable)', repeat, [])
    .option('--anchor <seq:hash>', 'a head recorded outside the host (0:genesis for a new log); the log (or the --jsonl export) must hold it (repeatable)', repeat, [])
    .action(auditVerifyCommand);
  audit
    .command('trace <id>')
    .description('print the lineage of any id an answer handed out (request, action, decision, approval, override, credential jti, session, memory, manifest, trace...)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--tenant <tenant>', "only this tenant's events (another tenant's id answers like an unknown one)")
    .option('--json', 'machine-readable output')
    .action(auditTraceCommand);
  audit
    .command('drill')
    .description('reconstruct the full chain of the action(s) behind an id and report every missing link; exits 1 when incomplete')
    .requiredOption('--id <id>', 'any id an answer handed out')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--tenant <tenant>', "only this tenant's events (another tenant's id answers like an unknown one)")
    .option('--json', 'machine-readable output')
    .action(auditDrillCommand);
  registerAuditSearchCommands(audit);
  registerAuditShipCommand(audit);
  registerAuditPruneCommand(audit);

  program
    .command('db')
    .description('the PostgreSQL schema of a fleet')
    .command('migrate')
    .description('apply the missing versioned migrations (the gateway also does this at start, under the same lock)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--json', 'machine-readable output')
    .action(dbMigrateCommand);

  program
    .command('config')
    .description('configuration')
    .command('check [file]')
    .description('run every start-up check of serve on a config: file, handlers module, secrets, policy bundle')
    .option('--config <file>', 'airlock.yaml (or give it as the argument)')
    .option('--json', 'machine-readable output')
    .action(configCheckCommand);

  const policy = program.command('policy').description('policy bundles');
  policy
    .command('check')
    .description('validate the policy bundle of a config (strict)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--json', 'machine-readable output')
    .action(policyCheckCommand);
  policy
    .command('schema')
    .description('print the Cedar schema generated from the tool registry')
    .requiredOption('--config <file>', 'airlock.yaml')
    .action(policySchemaCommand);
  policy
    .command('test <dir>')
    .description('run the *.test.yaml cases of a directory against the policy bundle; exits 1 when a case fails')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--json', 'machine-readable output')
    .action(policyTestCommand);

  program
    .command('simulate')
    .description('dry-run one tool call through the gateway (nothing executes) and print the decision')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--token <jwt>', 'bearer token of the caller (default: AIRLOCK_TOKEN)')
    .requiredOption('--tool <name>', 'tool name')
    .option('--args <json>', 'arguments as a JSON object', '{}')
    .option('--session <id>', 'session id')
    .option('--intent <text>', "the user's stated intent")
    .option('--json', 'machine-readable output')
    .action(simulateCommand);

  const withOperator = (command: Command) =>
    command
      .requiredOption('--config <file>', 'airlock.yaml')
      .option('--token <jwt>', 'operator bearer token (default: AIRLOCK_TOKEN)')
      .option('--json', 'machine-readable output');

  const approvals = program.command('approvals').description('human approval of held calls');
  withOperator(approvals.command('list').description("approval requests of the operator's tenant"))
    .option('--state <state>', 'pending | approved | denied | expired | consumed')
    .action(approvalsListCommand);
  for (const verdict of ['approve', 'deny'] as const) {
    withOperator(approvals.command(`${verdict} <id>`).description(`${verdict} a pending request (reviewer role, not the requester)`))
      .requiredOption('--justification <text>', 'why (recorded in the audit log)')
      .action((id: string, options: Parameters<typeof approvalsDecideCommand>[2]) => approvalsDecideCommand(verdict, id, options));
  }

  const overrides = program.command('overrides').description('break-glass overrides and their register');
  withOperator(overrides.command('list').description('the override register: every override, open count, median age of open ones'))
    .option('--open', 'only open overrides')
    .action(overridesListCommand);
  withOperator(overrides.command('create').description('break the glass for one tool or one action hash, for a bounded time'))
    .option('--tool <name>', 'every call of this tool in the tenant')
    .option('--action-hash <hash>', 'exactly one action (sha256:..., from a denied decision)')
    .option('--tenant <tenant>', "tenant (default: the operator's own)")
    .option('--ttl <seconds>', 'lifetime (default and cap: overrides.max_ttl_seconds)')
    .requiredOption('--justification <text>', 'why (mandatory, recorded in the audit log)')
    .action(overridesCreateCommand);
  withOperator(overrides.command('revoke <id>').description('close an open override early'))
    .requiredOption('--justification <text>', 'why (recorded in the audit log)')
    .action(overridesRevokeCommand);

  const credentials = program.command('credentials').description('just-in-time credentials');
  withOperator(credentials.command('revoke').description("revoke credentials by jti, or every one of the operator's tenant by user, connector, agent, tool or session (security-admin)"))
    .option('--jti <jti>', 'one credential')
    .option('--user <user>', "every credential of a user of the operator's tenant")
    .option('--tenant <tenant>', "every credential of the operator's tenant")
    .option('--connector <id>', "every credential of the operator's tenant for one connector (audience)")
    .option('--agent <agent>', "every credential of the operator's tenant an acting agent holds")
    .option('--tool <tool>', "every credential of the operator's tenant minted for a tool")
    .option('--session <id>', "every credential of the operator's tenant minted for a call in a session")
    .action(credentialsRevokeCommand);

  const killswitch = program.command('killswitch').description('runtime kill switches: refuse every call of a scope at once, on every replica');
  withOperator(killswitch.command('engage').description("engage a kill switch (confined to the operator's tenant unless global or --fleet)"))
    .requiredOption('--scope <scope>', 'global | tenant | agent | tool | connector | session')
    .option('--target <name>', 'tenant, agent, tool name, connector id or session id (not for global)')
    .option('--fleet', 'refuse the scope in every tenant (fleet role)')
    .requiredOption('--justification <text>', 'why (mandatory, recorded in the audit log)')
    .action(killswitchEngageCommand);
  withOperator(killswitch.command('release <id>').description('release an engaged kill switch'))
    .requiredOption('--justification <text>', 'why (recorded in the audit log)')
    .action(killswitchReleaseCommand);
  withOperator(killswitch.command('list').description('engaged kill switches (with --all, released ones too)'))
    .option('--all', 'engaged and released switches')
    .action(killswitchListCommand);
  const idempotency = program.command('idempotency').description('idempotency records: calls whose outcome is unknown, and settling them');
  withOperator(idempotency.command('list').description("idempotency records of the operator's tenant, newest first"))
    .option('--state <state>', 'pending | completed | failed | outcome_unknown (includes pending past their lease)')
    .option('--limit <n>', 'at most this many')
    .action(idempotencyListCommand);
  withOperator(idempotency.command('show <id>').description('one record (never its kept result)')).action(idempotencyShowCommand);
  withOperator(idempotency.command('resolve <id>').description('settle an unknown outcome: executed (retries replay) or not_executed (the key may run once more)'))
    .requiredOption('--outcome <outcome>', 'executed | not_executed')
    .requiredOption('--justification <text>', 'why (mandatory, recorded in the audit log)')
    .action(idempotencyResolveCommand);
  withOperator(idempotency.command('check <id>').description("ask the tool's status check about an unknown outcome (a definite answer resolves it)")).action(idempotencyCheckCommand);
  mcpCommands(program);

  program
    .command('demo')
    .description('play a scripted support-agent session, including a prompt injection, and show the decisions')
    .option('--json', 'machine-readable output')
    .option('--keep', 'keep the temporary directory (audit log, state) instead of removing it at the end')
    .action(demoCommand);

  return program;
}

/** Commander collector for a repeatable option. */
function repeat(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CliExit) {
      if (error.message !== '') process.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    if (isAirlockError(error)) {
      process.stderr.write(`airlock: ${error.code}: ${error.message}\n`);
      return error.status === 400 ? 2 : 1;
    }
    process.stderr.write(`airlock: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv);
  // serve/start keep the process alive; everything else ends here.
  if (code !== 0) process.exit(code);
}
