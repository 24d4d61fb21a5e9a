/**
 * Builds what the published package runs (`npm run build`; `npm pack` and `npm publish` run it
 * through `prepack`): the sources compiled to JavaScript with declarations in dist/src/, and the
 * support-desk demo behind `airlock start` and `airlock demo` in dist/examples/support-desk/ —
 * compiled handlers and ledger, its data, its Cedar policies, and its config naming the compiled
 * handlers; and the web console's static build in dist/console/ (scripts/build-console.ts).
 * A checkout runs the TypeScript sources directly and needs none of this.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const DEMO = join(ROOT, 'examples', 'support-desk');
const DIST_DEMO = join(DIST, 'examples', 'support-desk');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function fail(message: string): never {
  process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}

rmSync(DIST, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
if (compiled.status !== 0) fail(`tsc exited ${compiled.status ?? compiled.signal}`);

// The demo: its data and policies beside the compiled handlers; no declarations (not an API).
cpSync(join(DEMO, 'data.json'), join(DIST_DEMO, 'data.json'));
cpSync(join(DEMO, 'policies'), join(DIST_DEMO, 'policies'), { recursive: true });
for (const file of files(DIST_DEMO)) if (file.endsWith('.d.ts')) rmSync(file);
const config = readFileSync(join(DEMO, 'airlock.yaml'), 'utf8');
const packaged = config.replace(/^handlers_module: handlers\.ts$/m, 'handlers_module: handlers.js');
if (packaged === config) fail('examples/support-desk/airlock.yaml no longer names handlers_module: handlers.ts');
writeFileSync(join(DIST_DEMO, 'airlock.yaml'), packaged);

// The web console, built for /console (src/server/console.ts finds it at dist/console).
const consoleBuild = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-console.ts'), join(DIST, 'console')], { stdio: 'inherit', cwd: ROOT });
if (consoleBuild.status !== 0) fail(`the console build exited ${consoleBuild.status ?? consoleBuild.signal}`);

// Node refuses TypeScript under node_modules: no compiled module may still name a .ts file.
const TS_SPECIFIER = /(['"`])\.{1,2}\/[^'"`\n]*\.ts\1/;
const leftovers = files(DIST)
  .filter((file) => file.endsWith('.js') && TS_SPECIFIER.test(readFileSync(file, 'utf8')))
  .map((file) => relative(ROOT, file));
if (leftovers.length > 0) fail(`compiled modules still name .ts files: ${leftovers.join(', ')}`);

process.stdout.write(`build: ${files(DIST).length} files in ${relative(process.cwd(), DIST) || '.'}\n`);
