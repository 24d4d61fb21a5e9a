/**
 * `npm run build:agentdojo-packs`: writes each suite's `policies/library.cedar` from the
 * policy library (examples/policy-library) and the tool bindings in its tools.yaml.
 * `--check`: writes nothing, fails when a checked-in file differs from what it would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUITE_NAMES } from './dataset.ts';
import { EXAMPLES_DIR, libraryPack, loadDeployment } from './deployment.ts';

const check = process.argv.includes('--check');
let stale = 0;
for (const suite of SUITE_NAMES) {
  const text = libraryPack(loadDeployment(suite));
  if (text === null) continue;
  const path = join(EXAMPLES_DIR, suite, 'policies', 'library.cedar');
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    // not written yet
  }
  if (current === text) continue;
  if (check) {
    stale++;
    console.error(`${path} is out of date`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path}`);
  }
}
if (stale > 0) process.exit(1);
