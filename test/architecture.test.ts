/**
 * Dependency direction (DESIGN.md): core depends on nothing; domain modules depend on
 * core only (and the config types); pipeline wires them; the doors (server, cli)
 * talk to the pipeline, core and config; the web console (console/) imports none of src/.
 * This test fails when a module imports sideways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const DOMAIN = ['identity', 'policy', 'tools', 'context', 'provenance', 'approvals', 'credentials', 'limits', 'audit', 'sessions', 'memory', 'config', 'mcp', 'metrics', 'overrides', 'killswitch', 'idempotency', 'budgets', 'outputs', 'tracing'];
// The MCP doors are the server's /mcp endpoint and `airlock mcp`; src/mcp holds the upstream definitions (a domain module).
const DOORS = ['server', 'cli'];
// The adapter layer: the PostgreSQL, Redis and SQLite implementations of the domains' store
// interfaces and the factory that picks them from config. It sees core and the domains; only
// the pipeline (and the library surface) sees it.
const STORES = 'stores';
const KNOWN = new Set(['core', 'pipeline', STORES, ...DOMAIN, ...DOORS]);
/** Packages that are database drivers: imported by the adapter layer alone. */
const DRIVERS = ['pg', 'ioredis', 'node:sqlite'];

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
  if (!KNOWN.has(target)) return `unknown module ${target} (add it to the architecture rules)`;
  if (DOMAIN.includes(from)) return `domain module ${from} may import only core (imports ${target})`;
  if (from === STORES) return DOMAIN.includes(target) ? null : `the store adapters may import only core and the domains (imports ${target})`;
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

test('every folder of src/ is a known module (a new one must be placed in the rules)', () => {
  const unknown = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory() && !KNOWN.has(name));
  assert.deepEqual(unknown, []);
});

/** Why `file` (relative to src/) may not import package `spec`, or null. */
export function driverViolation(file: string, spec: string): string | null {
  if (!DRIVERS.includes(spec)) return null;
  if (file.split(sep)[0] === STORES || file.startsWith(STORES + '/')) return null;
  return `${file}: imports the driver ${spec} outside the store adapters (src/stores/)`;
}

test('database drivers are imported by the store adapters alone', () => {
  const problems: string[] = [];
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const why = driverViolation(rel, spec);
      if (why !== null) problems.push(why);
    }
  }
  assert.deepEqual(problems, []);
  assert.match(String(driverViolation(join('pipeline', 'gateway.ts'), 'pg')), /outside the store adapters/);
  assert.match(String(driverViolation(join('audit', 'new-store.ts'), 'node:sqlite')), /outside the store adapters/);
  assert.equal(driverViolation(join('stores', 'postgres', 'database.ts'), 'pg'), null);
});

test('the rule itself refuses sideways imports (so the check above can fail)', () => {
  assert.match(String(violation('policy', 'audit')), /may import only core/);
  assert.match(String(violation('server', 'audit')), /must go through the pipeline/);
  assert.match(String(violation('core', 'policy')), /must not depend/);
  assert.equal(violation('pipeline', 'audit'), null);
  assert.equal(violation('tools', 'core'), null);
  assert.match(String(violation('pipeline', 'storage')), /unknown module/);
  assert.match(String(violation('audit', 'stores')), /may import only core/);
  assert.match(String(violation('stores', 'pipeline')), /may import only core and the domains/);
  assert.equal(violation('stores', 'approvals'), null);
  assert.equal(violation('pipeline', 'stores'), null);
  assert.deepEqual(importsOf("import type { A } from '../audit/x.ts';\nexport { b } from './b.ts';\nawait import('../policy/y.ts');"), [
    '../audit/x.ts',
    './b.ts',
    '../policy/y.ts',
  ]);
});

// The web console (console/, DESIGN.md) is a separate front-end that talks to the HTTP API only:
// it imports its own files and its UI libraries, never the gateway's source.
const CONSOLE_SRC = resolve(SRC, '..', 'console', 'src');
const CONSOLE_PACKAGES = ['preact', 'preact/hooks', 'uplot', 'uplot/dist/uPlot.min.css'];

export function consoleViolation(file: string, specifier: string): string | null {
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier);
    return target.startsWith(CONSOLE_SRC + sep) ? null : `the console must not import ${relative(resolve(SRC, '..'), target)} (it talks to the HTTP API only)`;
  }
  return CONSOLE_PACKAGES.includes(specifier) ? null : `the console imports package ${specifier}: add it to the console's packages on purpose`;
}

test('the web console imports nothing of the gateway, only its own files and its UI packages', () => {
  const sources = readdirSync(CONSOLE_SRC, { recursive: true })
    .map((name) => join(CONSOLE_SRC, String(name)))
    .filter((path) => /\.tsx?$/.test(path));
  assert.ok(sources.length > 5, 'the console sources are where this test looks');
  const problems = sources.flatMap((file) => importsOf(readFileSync(file, 'utf8')).map((s) => consoleViolation(file, s)).filter((p): p is string => p !== null));
  assert.deepEqual(problems, []);
  assert.match(String(consoleViolation(join(CONSOLE_SRC, 'api.ts'), '../../src/pipeline/index.ts')), /must not import src\/pipeline\/index\.ts/);
  assert.match(String(consoleViolation(join(CONSOLE_SRC, 'api.ts'), 'hono')), /add it/);
});
