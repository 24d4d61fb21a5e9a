/**
 * Dependency direction (DESIGN.md): core depends on nothing; domain modules depend on
 * core only (and the config types); pipeline wires them; the doors (server, cli)
 * talk to the pipeline, core and config. This test fails when a module imports sideways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const DOMAIN = ['identity', 'policy', 'tools', 'context', 'provenance', 'approvals', 'credentials', 'limits', 'audit', 'sessions', 'memory', 'config', 'mcp', 'metrics'];
// The MCP doors are the server's /mcp endpoint and `airlock mcp`; src/mcp holds the upstream definitions (a domain module).
const DOORS = ['server', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '').filter((s) => s !== '');
}

function moduleOf(path: string): string {
  return relative(SRC, path).split(sep)[0] ?? '';
}

/** Returns why `target` may not be imported from module `from`, or null when allowed. */
export function violation(from: string, target: string): string | null {
  if (target === from) return null;
  if (from === 'core') return 'core must not depend on other modules';
  if (target === 'core') return null;
  if (DOMAIN.includes(from)) return `domain module ${from} may import only core (imports ${target})`;
  if (from === 'pipeline') return DOORS.includes(target) ? `pipeline must not import the ${target} door` : null;
  // The CLI may start the HTTP door (`airlock serve`); otherwise doors see only the pipeline and config.
  if (from === 'cli' && target === 'server') return null;
  if (DOORS.includes(from)) return target === 'pipeline' || target === 'config' ? null : `door ${from} must go through the pipeline (imports ${target})`;
  return null;
}

test('every relative import in src/ respects the dependency direction', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const from = moduleOf(file);
    if (from.endsWith('.ts')) continue; // src/index.ts: the public library surface
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const targetPath = resolve(dirname(file), spec);
      const target = moduleOf(targetPath);
      // Domain modules may read the config *types* (the shape of airlock.yaml).
      if (DOMAIN.includes(from) && relative(SRC, targetPath) === join('config', 'types.ts')) continue;
      const why = violation(from, target);
      if (why !== null) problems.push(`${relative(SRC, file)}: ${why}`);
    }
    // Core's own tests may use test libraries; core's code may not use any package.
    if (from === 'core' && !/\.(test|contract)\.ts$/.test(file)) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.') && !spec.startsWith('node:')) problems.push(`${relative(SRC, file)}: core imports package ${spec}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the rule itself refuses sideways imports (so the check above can fail)', () => {
  assert.match(String(violation('policy', 'audit')), /may import only core/);
  assert.match(String(violation('server', 'audit')), /must go through the pipeline/);
  assert.match(String(violation('core', 'policy')), /must not depend/);
  assert.equal(violation('pipeline', 'audit'), null);
  assert.equal(violation('tools', 'core'), null);
  assert.deepEqual(importsOf("import type { A } from '../audit/x.ts';\nexport { b } from './b.ts';\nawait import('../policy/y.ts');"), [
    '../audit/x.ts',
    './b.ts',
    '../policy/y.ts',
  ]);
});
