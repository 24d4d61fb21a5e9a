/**
 * Where the support-desk demo lives (examples/support-desk in a checkout; its compiled copy,
 * dist/examples/support-desk, in the published package), and copies of its config whose data
 * (audit log, state, keys) live in a directory of the caller's choosing: `airlock start` keeps
 * them in the current directory's .airlock/, never inside an installed package.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_DIR = fileURLToPath(new URL('../../examples/support-desk/', import.meta.url));
export const DEMO_CONFIG = join(DEMO_DIR, 'airlock.yaml');

/** The demo's own data directory, relative to its config (the repository's .airlock/ in a checkout). */
const OWN_DATA_DIR = '../../.airlock/';

/**
 * The demo config with every path absolute and its data in `dataDir`; without the demo's
 * rate limits when `limits` is false (load tests).
 */
export function demoConfigText(dataDir: string, options: { limits?: boolean } = {}): string {
  const dir = resolve(dataDir);
  // Rewritten values are JSON strings, which YAML reads as double-quoted scalars: any path is safe.
  let text = readFileSync(DEMO_CONFIG, 'utf8')
    .replace(/^(\s*(?:- )?[a-z_]+: )(file:)?\.\.\/\.\.\/\.airlock\/(\S+)$/gm, (_, key: string, scheme: string | undefined, file: string) =>
      `${key}${JSON.stringify(`${scheme ?? ''}${join(dir, file)}`)}`,
    )
    .replace(/^(policy:\n {2}bundle_dir: )(\S+)$/m, (_, key: string, bundle: string) => `${key}${JSON.stringify(join(DEMO_DIR, bundle))}`)
    .replace(/^(handlers_module: )(\S+)$/m, (_, key: string, module: string) => `${key}${JSON.stringify(join(DEMO_DIR, module))}`);
  if (text.includes(OWN_DATA_DIR)) throw new Error(`the demo config names ${OWN_DATA_DIR} in a place demoConfigText does not rewrite`);
  if (options.limits === false) text = text.replace(/^limits:\n( {2}.*\n)+/m, '');
  return text;
}

/**
 * Writes the demo config for `dataDir` into it (as `name`, default airlock.yaml); returns its
 * path. The directory is made private (0700): the demo's audit log and state (sessions with
 * customer attributes, kept tool results) are created there with the process umask.
 */
export function writeDemoConfig(dataDir: string, options: { limits?: boolean; name?: string } = {}): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // also when an earlier run created it with the umask's mode
  const path = join(resolve(dataDir), options.name ?? 'airlock.yaml');
  writeFileSync(path, demoConfigText(dataDir, options));
  return path;
}
