/**
 * The support-desk demo config in a directory of its own, for drills, benchmarks and
 * end-to-end tests: every path absolute, its data (audit log, state, dev key) in that
 * directory, and optionally without the demo's rate limits (load tests). The rewriting is
 * the CLI's own (src/cli/demo-config.ts, also used by `airlock start`).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoConfig as writeConfig } from '../src/cli/demo-config.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_DIR = join(REPO_ROOT, 'examples', 'support-desk');
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** Returns the path of the written `airlock.yaml`. */
export function writeDemoConfig(dir: string, options: { limits?: boolean } = {}): string {
  return writeConfig(dir, options);
}
