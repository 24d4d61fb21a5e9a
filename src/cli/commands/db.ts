/**
 * `airlock db migrate`: applies the missing versioned migrations of the config's PostgreSQL
 * schema (the gateway also does it at start, under the same advisory lock, unless
 * postgres.migrate_on_start is false). Embedded SQLite stores create their tables themselves.
 */
import { migrateStores } from '../../pipeline/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { green, printJson } from '../output.ts';

export async function dbMigrateCommand(options: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  if (config.postgres === undefined) {
    throw new CliExit(2, 'this config has no postgres section: its SQLite and memory stores need no migration');
  }
  const report = await migrateStores(config);
  if (options.json === true) printJson(report);
  else {
    process.stdout.write(
      `${green('OK')} schema ${report.schema}: ${report.applied.length} migration(s) applied${report.applied.length > 0 ? ` (${report.applied.join(', ')})` : ''}, ${report.alreadyApplied.length} already applied\n`,
    );
  }
}
