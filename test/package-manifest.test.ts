/**
 * The published manifest's `engines` (scripts/package-manifest.ts): stamped at pack time from
 * bin/airlock.js, absent from the checkout's package.json so that a contributor's npm on an
 * older Node.js prints no engine warning for the project itself. The tarball's engines are
 * checked by test/e2e/package.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import fc from 'fast-check';
import { publishedEngines, restore, stamp } from '../scripts/package-manifest.ts';
import { REPO_ROOT } from '../scripts/demo-config.ts';

const manifestText = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
const manifest = JSON.parse(manifestText) as Record<string, unknown>;

test('the engines come from the major bin/airlock.js checks', () => {
  const bin = readFileSync(join(REPO_ROOT, 'bin', 'airlock.js'), 'utf8');
  assert.deepEqual(publishedEngines(bin), { node: '>=24' });
});

test("the checkout's package.json has no engines, is in npm's formatting, and states the npm it needs as devEngines", () => {
  assert.equal('engines' in manifest, false);
  assert.equal(`${JSON.stringify(manifest, null, 2)}\n`, manifestText);
  assert.equal((manifest.devEngines as { runtime: { name: string } }).runtime.name, 'node');
});

test('stamp puts engines before bin and restore gives back the same manifest, for any manifest', () => {
  const stamped = stamp(manifest, { node: '>=24' });
  const keys = Object.keys(stamped);
  assert.equal(keys.indexOf('engines'), keys.indexOf('bin') - 1);
  assert.equal(`${JSON.stringify(restore(stamped), null, 2)}\n`, manifestText);
  const key = fc.string({ minLength: 1 }).filter((k) => k !== 'engines' && k !== '__proto__');
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(key, fc.jsonValue()), { selector: ([k]) => k }), (entries) => {
      const m = Object.fromEntries(entries);
      const s = stamp(stamp(m, { node: '>=1' }), { node: '>=24' });
      assert.deepEqual(s.engines, { node: '>=24' });
      assert.equal(JSON.stringify(restore(s)), JSON.stringify(m));
    }),
  );
});

test("npm ci on the machine's own Node.js prints no engine warning (a contributor's first command)", () => {
  // The PATH without node_modules/.bin: npm runs on whatever node the machine has, as on a new one.
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.includes('node_modules')).join(delimiter);
  const npmOnPath = path.split(delimiter).some((dir) => existsSync(join(dir, 'npm')));
  assert.ok(npmOnPath, 'npm is on the PATH outside the project');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const run = spawnSync('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...env, PATH: path },
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.doesNotMatch(`${run.stdout}${run.stderr}`, /EBADENGINE|Unsupported engine/);
});
