/**
 * `airlock audit ship`: ships the config's audit log to the SIEM of its `audit.ship` section,
 * at least once, from the cursor in the state store — the one a gateway with the same config
 * advances. `--once` ships what is there and exits; otherwise it keeps shipping new events until
 * SIGINT/SIGTERM. Faults go to stderr as they begin and end.
 */
import type { Command } from 'commander';
import { openStandaloneShipper } from '../../pipeline/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';
import { printJson } from '../output.ts';

export async function auditShipCommand(options: { config: string; once?: boolean; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const { shipper, close } = await openStandaloneShipper(config, {
    onFault: (what, error) => say(`${what}: failing (${error instanceof Error ? error.message : String(error)}); retrying from the cursor`),
    onRecovered: (what) => say(`${what}: recovered`),
  });
  try {
    if (options.once === true) {
      const done = await shipper.drain();
      if (options.json === true) printJson({ shipped: done.shipped, cursor: done.cursor });
      else process.stdout.write(`shipped ${done.shipped} events; the cursor is at seq ${done.cursor}\n`);
      return;
    }
    shipper.start();
    await new Promise<void>((stop) => {
      process.once('SIGINT', () => stop());
      process.once('SIGTERM', () => stop());
    });
    if (options.json === true) printJson({ shipped: shipper.stats.shipped, cursor: shipper.stats.cursor });
    else process.stdout.write(`shipped ${shipper.stats.shipped} events; the cursor is at seq ${shipper.stats.cursor}\n`);
  } finally {
    await close();
  }
}

export function registerAuditShipCommand(audit: Command): void {
  audit
    .command('ship')
    .description('ship the audit log to the SIEM of audit.ship (syslog over TCP/TLS), at least once, from the stored cursor')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--once', 'ship what is there, then exit')
    .option('--json', 'machine-readable summary')
    .action(auditShipCommand);
}
