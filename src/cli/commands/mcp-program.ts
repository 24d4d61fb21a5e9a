/** Declares `airlock mcp` (the stdio MCP door) and `airlock mcp tools ...` (review of upstream tool definitions). */
import type { Command } from 'commander';
import { mcpServeCommand, mcpToolsDecideCommand, mcpToolsPendingCommand, mcpToolsShowCommand } from './mcp.ts';

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
      .command(`${verdict} <name>`)
      .description(`${verdict} the definition an upstream serves now (security-admin role)`)
      .requiredOption('--config <file>', 'airlock.yaml')
      .requiredOption('--hash <hash>', 'hash of the reviewed definition (at least 8 hex digits)')
      .requiredOption('--justification <text>', 'why (recorded in the audit log)')
      .option('--token <jwt>', 'operator bearer token (default: AIRLOCK_TOKEN)')
      .option('--json', 'machine-readable output');
    if (verdict === 'approve') command.option('--accept-findings', 'approve although the poisoning scanner flagged it');
    command.action((name: string, options: Parameters<typeof mcpToolsDecideCommand>[2]) => mcpToolsDecideCommand(verdict, name, options));
  }
}
