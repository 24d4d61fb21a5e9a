/**
 * The package's name where users type it: the CLI finds its version by that name, and the
 * docs run it with npx by that name (a bare `npx airlock` outside a checkout runs an unrelated
 * npm package), pinned to the version this checkout would publish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../scripts/demo-config.ts';
import { PACKAGE_NAME, packageVersion } from '../src/cli/package-info.ts';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const docs = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).map((f) => join('docs', f))].map((path) => ({
  path,
  text: readFileSync(join(REPO_ROOT, path), 'utf8'),
}));

test('the CLI knows the package by the name in package.json, and reads its version from there', () => {
  assert.equal(PACKAGE_NAME, manifest.name);
  assert.equal(packageVersion(), manifest.version);
});

test('docs pin the package at the version in package.json', () => {
  const pins = docs.flatMap(({ path, text }) => [...text.matchAll(/@airlock-gateway\/airlock@([^\s"'`]+)/g)].map((m) => ({ path, version: m[1] })));
  assert.ok(pins.length > 0, 'the desktop-client setup pins a version');
  assert.deepEqual(
    pins.filter((p) => p.version !== manifest.version),
    [],
  );
});

test('no client configuration in the docs runs the bare npm name airlock', () => {
  const bare = docs.filter(({ text }) => /"args":\s*\[\s*(?:"-y",\s*)?"airlock[@"]/.test(text) || /\bnpx -y airlock\b/.test(text)).map((d) => d.path);
  assert.deepEqual(bare, []);
});
