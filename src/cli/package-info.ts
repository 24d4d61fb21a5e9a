/**
 * The package this CLI ships in: its name, its version (from its package.json, found above
 * this module both in a checkout, src/cli/, and in the published package, dist/src/cli/), and
 * how to run the CLI again from a shell.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = '@airlock-gateway/airlock';

/** True when this runs from the TypeScript sources (a checkout), false once compiled. */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * The shell command for the CLI: in a checkout the project's own bin (`npx airlock`);
 * elsewhere the scoped name, since a bare `npx airlock` outside a project that installed this
 * package runs an unrelated npm package of that name.
 */
export const NPX_COMMAND = FROM_SOURCES ? 'npx airlock' : `npx ${PACKAGE_NAME}`;

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no readable package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${PACKAGE_NAME}`);
    dir = parent;
  }
}
