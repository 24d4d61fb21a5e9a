/** Declares `airlock mcp` (the stdio MCP door) and `airlock mcp tools ...` (review of upstream tool definitions). */
import type { Command } from 'commander';
import { mcpServeCommand, mcpStatusCommand, mcpToolsApproveAllPendingCommand, mcpToolsDecideCommand, mcpToolsPendingCommand, mcpToolsShowCommand } from './mcp.ts';

export function mcpCommands(program: Command): void {
  // `mcp` has an option of its own (`--config`, for the stdio door) and subcommands with the
  // same option: options are read by the command they follow. The program itself has no
  // options, so this changes nothing for the other commands.
  program.enablePositionalOptions();
  const mcp = program
    .command('mcp')
    .description('serve MCP over stdio, fronting the config\'s upstream MCP servers (identity: mcp.identity_token or AIRLOCK_TOKEN)')
    .option('--config <file>', 'airlock.yaml')
    .enablePositionalOptions()
    .action(async (options: { config?: string }) => {
      if (options.config === undefined) {
        mcp.help({ error: true });
        return;
      }
      await mcpServeCommand({ config: options.config });
    });
  mcp
    .command('status')
    .description("connect to the config's upstream MCP servers and show each one's state (why one is not connected, with its stderr tail)")
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--json', 'machine-readable output')
    .action(mcpStatusCommand);
  const tools = mcp.command('tools').description('review upstream tool definitions (pins)');
  tools
    .command('pending')
    .description('definitions waiting for review (new, changed or flagged)')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--all', 'every definition, whatever its state')
    .option('--json', 'machine-readable output')
    .action(mcpToolsPendingCommand);
  tools
    .command('show <name>')
    .description('one definition in full, its findings, and the approved one if it differs')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--json', 'machine-readable output')
    .action(mcpToolsShowCommand);
  for (const verdict of ['approve', 'reject'] as const) {
    const command = tools
      .command(verdict === 'approve' ? 'approve [name]' : 'reject <name>')
      .description(`${verdict} the definition an upstream serves now (security-admin role)`)
      .requiredOption('--config <file>', 'airlock.yaml')
      .option('--hash <hash>', 'hash of the reviewed definition (at least 8 hex digits; required with a name)')
      .requiredOption('--justification <text>', 'why (recorded in the audit log)')
      .option('--token <jwt>', 'operator bearer token (default: AIRLOCK_TOKEN)')
      .option('--json', 'machine-readable output');
    if (verdict === 'approve') {
      command
        .option('--accept-findings', 'approve although the poisoning scanner flagged it')
        .option('--all-pending', 'every pending definition, each at the hash listed now (flagged ones only with --accept-findings)');
    }
    command.action((name: string | undefined, options: Parameters<typeof mcpToolsDecideCommand>[2] & { allPending?: boolean }) =>
      verdict === 'approve' && options.allPending === true ? mcpToolsApproveAllPendingCommand(name, options) : mcpToolsDecideCommand(verdict, name, options),
    );
  }
}
