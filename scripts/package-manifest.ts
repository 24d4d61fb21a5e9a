/**
 * The `engines` field of the published manifest. The checkout's package.json has none: a
 * contributor's npm may run on an older Node.js (the checkout brings Node.js 24 itself, and
 * every script and the `airlock` command run under it), and npm would warn about the project's
 * own engines at every `npx airlock`. The tarball must carry it, so that npm tells a user on an
 * older Node.js before the command does. `npm pack` / `npm publish` run `stamp` in prepack and
 * `restore` in postpack; the Node.js major comes from bin/airlock.js, the one place that checks it.
 *
 *   node scripts/package-manifest.ts stamp|restore
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = join(ROOT, 'package.json');

function fail(message: string): never {
  process.stderr.write(`package-manifest: ${message}\n`);
  process.exit(1);
}

/** The engines range the published package declares: bin/airlock.js's REQUIRED_MAJOR. */
export function publishedEngines(binSource: string): { node: string } {
  const major = /^const REQUIRED_MAJOR = (\d+);$/m.exec(binSource)?.[1];
  if (major === undefined) fail('bin/airlock.js no longer declares `const REQUIRED_MAJOR = <major>;`');
  return { node: `>=${major}` };
}

/** Adds `engines` before `bin` (or replaces it); the rest of the manifest is unchanged. */
export function stamp(manifest: Record<string, unknown>, engines: { node: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(manifest)) {
    if (key === 'engines') continue;
    if (key === 'bin') out.engines = engines;
    out[key] = value;
  }
  if (!('engines' in out)) out.engines = engines;
  return out;
}

export function restore(manifest: Record<string, unknown>): Record<string, unknown> {
  const { engines: _engines, ...rest } = manifest;
  return rest;
}

function main(command: string | undefined): void {
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text) as Record<string, unknown>;
  // Rewriting is exact only for npm's own formatting (two spaces, final newline).
  if (`${JSON.stringify(manifest, null, 2)}\n` !== text) fail('package.json is not in npm\'s formatting (JSON, two spaces, final newline)');
  let next: Record<string, unknown>;
  if (command === 'stamp') next = stamp(manifest, publishedEngines(readFileSync(join(ROOT, 'bin', 'airlock.js'), 'utf8')));
  else if (command === 'restore') next = restore(manifest);
  else fail('usage: node scripts/package-manifest.ts stamp|restore');
  writeFileSync(MANIFEST, `${JSON.stringify(next, null, 2)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv[2]);
