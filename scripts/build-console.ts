/**
 * Builds the web console (console/) with Vite into console/dist (or the directory given as the
 * first argument), the static files `airlock serve` serves at /console. `npm run build:console`
 * runs it; `npm start` and the browser tests build only when the build is missing or older than
 * its sources (`--if-stale`, ensureConsoleBuilt()); `npm run build` puts a build in dist/console
 * for the package.
 */
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Whether console/dist holds a build at least as new as every source of the console (and the lock file). */
export function consoleBuildIsFresh(): boolean {
  const index = join(CONSOLE_DIST, 'index.html');
  if (!existsSync(index)) return false;
  const sources = [join(CONSOLE_DIR, 'src'), join(CONSOLE_DIR, 'index.html'), join(CONSOLE_DIR, 'vite.config.ts'), join(CONSOLE_DIR, '..', 'package-lock.json')];
  return statSync(index).mtimeMs >= Math.max(...sources.map(newestSource));
}

/** Builds into `outDir`: into a fresh sibling directory first, then swapped in, so a reader never sees half a build. */
export async function buildConsole(outDir: string = CONSOLE_DIST): Promise<void> {
  const { build } = await import('vite');
  const staging = `${outDir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.ts'), build: { outDir: staging, emptyOutDir: true }, logLevel: 'warn' });
  rmSync(outDir, { recursive: true, force: true });
  try {
    renameSync(staging, outDir);
  } catch (error) {
    // Another process (a test file running beside this one) put its fresh build there first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(outDir, 'index.html'))) throw error;
  }
}

/** Builds console/dist unless a fresh build is there already. */
export async function ensureConsoleBuilt(): Promise<void> {
  if (!consoleBuildIsFresh()) await buildConsole();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === '--if-stale') {
    // `npm start`: build only when console/dist is missing or older than its sources.
    if (!consoleBuildIsFresh()) {
      await buildConsole();
      process.stdout.write(`build:console: ${CONSOLE_DIST}\n`);
    }
  } else {
    const target = process.argv[2] === undefined ? CONSOLE_DIST : resolve(process.argv[2]);
    await buildConsole(target);
    process.stdout.write(`build:console: ${target}\n`);
  }
}
