/**
 * The README's library example (examples/library/pay-invoice.ts): the README shows the file
 * verbatim, and the file runs as written — from a copy of its directory, with
 * `@airlock-gateway/airlock` resolved to this checkout's sources (test/e2e/package.test.ts runs
 * it again against the installed package).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/demo-config.ts';
import { LIBRARY_EXAMPLE_DIR, LIBRARY_EXAMPLE_OUTPUT, libraryExampleFilter } from '../support/library-example.ts';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The ```ts block of the README's "## Library" section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Library\n'));
  assert.ok(section !== undefined, 'README has a "## Library" section');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(section);
  assert.ok(block !== null, 'the Library section has a ```ts block');
  return block[1] as string;
}

test('the README library section shows examples/library/pay-invoice.ts verbatim, and its output', () => {
  assert.equal(readmeExample(), readFileSync(join(LIBRARY_EXAMPLE_DIR, 'pay-invoice.ts'), 'utf8'));
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.ok(readme.includes(`\`\`\`\n${LIBRARY_EXAMPLE_OUTPUT.join('\n')}\n\`\`\``), 'the README shows what the example prints');
});

test('the library example runs as written: the IBAN from the email waits for approval, the IBAN on file is paid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-library-example-'));
  dirs.push(dir);
  cpSync(LIBRARY_EXAMPLE_DIR, dir, { recursive: true, filter: libraryExampleFilter });
  const run = spawnSync(process.execPath, ['--import', join(REPO_ROOT, 'test', 'support', 'source-package.ts'), join(dir, 'pay-invoice.ts')], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), LIBRARY_EXAMPLE_OUTPUT);
  // Its durable audit log and dev key are beside its config, as the config says.
  assert.ok(existsSync(join(dir, '.airlock', 'audit.db')));
  assert.ok(existsSync(join(dir, '.airlock', 'dev-hs256.key')));
});
