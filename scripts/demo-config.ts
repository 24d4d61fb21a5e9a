/**
 * Writes the support-desk demo config into a directory of its own, for drills, benchmarks
 * and end-to-end tests: every path absolute, its data (audit log, state, dev key) in that
 * directory, and optionally without the demo's rate limits (load tests).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEMO_DIR = join(REPO_ROOT, 'examples', 'support-desk');
export const CLI_MAIN = join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** Returns the path of the written `airlock.yaml`. */
export function writeDemoConfig(dir: string, options: { limits?: boolean } = {}): string {
  let text = readFileSync(join(DEMO_DIR, 'airlock.yaml'), 'utf8')
    .replaceAll('../../.airlock/', `${dir}/`)
    .replace(/^policy:\n  bundle_dir: policies/m, `policy:\n  bundle_dir: ${join(DEMO_DIR, 'policies')}`)
    .replace(/^handlers_module: handlers\.ts/m, `handlers_module: ${join(DEMO_DIR, 'handlers.ts')}`);
  if (options.limits === false) text = text.replace(/^limits:\n(  .*\n)+/m, '');
  const path = join(dir, 'airlock.yaml');
  writeFileSync(path, text);
  return path;
}
