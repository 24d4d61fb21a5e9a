/**
 * The published package, as a user gets it: `npm pack` (which builds dist/ through prepack),
 * `npm install <tarball>` into a fresh project (dependencies from the npm registry), then the
 * `airlock` command and the library from that project's node_modules, under this Node 24 —
 * where Node refuses to strip TypeScript, so only the compiled package can work. Packing and
 * installing take a while: done once, before the tests.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/demo-config.ts';
import { LIBRARY_EXAMPLE_DIR, LIBRARY_EXAMPLE_OUTPUT, libraryExampleFilter } from '../support/library-example.ts';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const NPM_TIMEOUT_MS = 300_000;

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: Array<{ path: string }>;
}

/** npm without the settings of an outer `npm test` (prefixes, lifecycle, package fields); registry and cache stay. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase())));
}

function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', args, { cwd, encoding: 'utf8', env: npmEnv(), timeout: NPM_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `npm ${args.join(' ')} failed (${run.error?.message ?? run.status}):\n${run.stderr}`);
  return run.stdout;
}

let work = '';
let project = '';
let installed = '';
let packed: Packed;

function run(args: string[], options: SpawnSyncOptions & { node?: string[] } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...(options.node ?? []), ...args], {
    cwd: project,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
    ...options,
  });
  return { code: r.status ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The installed `airlock` command (node_modules/.bin/airlock), run by this Node 24. */
function airlock(args: string[], options: SpawnSyncOptions & { node?: string[] } = {}) {
  return run([join(project, 'node_modules', '.bin', 'airlock'), ...args], options);
}

describe('the package installed from its tarball', { timeout: 900_000 }, () => {
  before(
    () => {
      work = mkdtempSync(join(tmpdir(), 'airlock-package-'));
      const before = readFileSync(join(REPO_ROOT, 'package.json'), 'utf8');
      const out = npm(['pack', '--json', '--pack-destination', work], REPO_ROOT);
      // prepack stamps engines into the manifest, postpack takes them out again.
      assert.equal(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'), before, 'npm pack leaves package.json as it was');
      // The build (prepack) may print before npm's JSON.
      const list = JSON.parse(out.slice(out.search(/^\[/m))) as Packed[];
      packed = list[0] as Packed;
      project = join(work, 'project');
      mkdirSync(project);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'airlock-consumer', private: true, type: 'module' }));
      npm(['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed.filename)], project);
      installed = join(project, 'node_modules', ...manifest.name.split('/'));
    },
    { timeout: 2 * NPM_TIMEOUT_MS + 60_000 },
  );
  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  test('the tarball holds compiled JavaScript, declarations, the bin, the docs, the demo and the web console build; no sources, tests or benchmarks', (t) => {
    const paths = packed.files.map((f) => f.path).sort();
    t.diagnostic(`${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ${packed.entryCount} files`);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/airlock.js',
      'docs/mcp.md',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'dist/src/stores/sqlite/audit/writer.worker.js',
      'dist/examples/support-desk/airlock.yaml',
      'dist/examples/support-desk/handlers.js',
      'dist/examples/support-desk/ledger-service.js',
      'dist/examples/support-desk/data.json',
      'dist/examples/support-desk/policies/crm.cedar',
      'dist/console/index.html',
    ]) {
      assert.ok(paths.includes(needed), `the tarball has ${needed}`);
    }
    const stray = paths.filter(
      (p) =>
        !/^(package\.json|README\.md|bin\/airlock\.js|docs\/[a-z-]+\.md|dist\/.+)$/.test(p) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
        /(\.test|\.contract|\.fixture|\.bench)\.|test-support|test-helpers|(^|\/)testing\.|testdata|multiwriter|\.map$/.test(p),
    );
    assert.deepEqual(stray, []);
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(pkg.engines, { node: '>=24' });
    assert.deepEqual(pkg.bin, { airlock: 'bin/airlock.js' });
    assert.match(readFileSync(join(installed, 'dist', 'examples', 'support-desk', 'airlock.yaml'), 'utf8'), /^handlers_module: handlers\.js$/m);
  });

  test('airlock --version prints the package version; --help lists the commands', () => {
    const version = airlock(['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), manifest.version);
    const help = airlock(['--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const command of ['start', 'serve', 'mcp', 'demo', 'config', 'audit', 'approvals']) assert.match(help.stdout, new RegExp(`^ {2}${command}\\b`, 'm'));
  });

  test('started by a Node older than 24, the installed command says which version it needs and exits 1', () => {
    // This Node, reporting itself as 22: what a user with an older Node sees.
    const older = join(work, 'node-22.mjs');
    writeFileSync(older, "Object.defineProperty(process.versions, 'node', { value: '22.11.0' });\n");
    const r = airlock(['--version'], { node: ['--import', older] });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^airlock needs Node\.js 24 or later; this is Node\.js v22\.11\.0\.\nTo fix: install Node\.js 24 or later/);
  });

  test('config check validates the packaged demo config and a config of the project', () => {
    const demo = airlock(['config', 'check', join(installed, 'dist', 'examples', 'support-desk', 'airlock.yaml')]);
    assert.equal(demo.code, 0, demo.stderr);
    assert.match(demo.stdout, /^OK .* 5 tools/);
    cpSync(LIBRARY_EXAMPLE_DIR, join(project, 'checked'), { recursive: true, filter: libraryExampleFilter });
    const own = airlock(['config', 'check', 'checked/airlock.yaml']);
    assert.equal(own.code, 0, own.stderr);
    assert.match(own.stdout, /^OK .* 2 tools/);
    const broken = join(project, 'checked', 'broken.yaml');
    writeFileSync(broken, readFileSync(join(project, 'checked', 'airlock.yaml'), 'utf8').replace('side_effect: read', 'side_effect: sometimes'));
    const bad = airlock(['config', 'check', broken]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /broken\.yaml:\d+:\d+ tools\[0\]\.side_effect/);
  });

  test('airlock demo runs the scripted session from the installed package: the injected export is denied, the chain verifies', () => {
    const r = airlock(['demo', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { steps: Array<{ tool: string; status: string; decision: { code: string } }>; audit: { ok: boolean } };
    const exported = out.steps.find((s) => s.tool === 'crm.exportCustomers');
    assert.equal(exported?.status, 'denied');
    assert.equal(exported?.decision.code, 'policy.forbid');
    // The billing ledger (compiled ledger-service.js) served its call with the gateway's credential.
    assert.equal(out.steps.find((s) => s.tool === 'billing.getInvoices')?.status, 'executed');
    assert.equal(out.audit.ok, true);
  });

  test('airlock start keeps its data in the current directory, names the scoped package in what it prints and serves the packaged console', async () => {
    const cwd = join(work, 'elsewhere');
    mkdirSync(cwd);
    const child = spawn(process.execPath, [join(project, 'node_modules', '.bin', 'airlock'), 'start', '--port', '0'], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let consolePage: { status: number; csp: string | null; text: string } | undefined;
    try {
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (/"airlock listening"/.test(out)) done();
        });
        child.once('exit', (code) => fail(new Error(`start exited ${code}`)));
      });
      // The packaged web console is served from dist/console.
      const url = /"url":"([^"]+)"/.exec(out)?.[1];
      const response = await fetch(`${url ?? ''}/console/`);
      consolePage = { status: response.status, csp: response.headers.get('content-security-policy'), text: await response.text() };
    } finally {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    assert.equal(consolePage?.status, 200, consolePage?.text);
    assert.match(consolePage?.text ?? '', /<script type="module" crossorigin src="\/console\/assets\/index-[\w-]+\.js"><\/script>/);
    assert.match(consolePage?.csp ?? '', /^default-src 'none'; script-src 'self'/);
    assert.match(out, new RegExp(`^ {2}npx ${manifest.name.replace('/', '\\/')} audit trace <request_id> --config \\.airlock/support-desk\\.yaml$`, 'm'));
    for (const file of ['support-desk.yaml', 'audit.db', 'state.db', 'dev-hs256.key']) assert.ok(existsSync(join(cwd, '.airlock', file)), `.airlock/${file}`);
    assert.equal(existsSync(join(installed, 'dist', '.airlock')), false, 'nothing written inside node_modules');
    const verified = airlock(['audit', 'verify', '--config', '.airlock/support-desk.yaml'], { cwd });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test('the library: a gateway from an inline config with a function tool runs one call, its audit log on the writer thread, its spans from the export thread', () => {
    const script = join(project, 'inline.mjs');
    writeFileSync(
      script,
      `import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createGateway, mintToken, parseConfig } from '${manifest.name}';

// An OTLP/HTTP receiver (protobuf, the default encoding): the media types it got, and which
// of the expected span names arrived as a Span's name field (field 5: tag 0x2a, length, text).
const bodies = [];
const types = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    types.push(req.headers['content-type']);
    bodies.push(Buffer.concat(chunks));
    res.end();
  });
});
const spanNamed = (name) => bodies.some((b) => b.includes(Buffer.concat([Buffer.from([0x2a, name.length]), Buffer.from(name)])));
await new Promise((done) => receiver.listen(0, '127.0.0.1', done));

const dir = join(process.cwd(), 'inline');
mkdirSync(join(dir, 'policies'), { recursive: true });
writeFileSync(join(dir, 'policies', 'greet.cedar'), '@id("greeters-greet")\\npermit (principal, action == Airlock::Action::"greet.hello", resource) when { principal.roles.contains("greeter") };\\n');
const config = parseConfig(\`
version: 1
identity:
  audience: airlock
  issuers:
    - { issuer: inline-dev, algorithms: [HS256], secret: "file:dev.key", create_secret_if_missing: true }
policy: { bundle_dir: policies }
audit: { type: sqlite, path: audit.db }
state: { type: memory }
tracing: { endpoint: "http://127.0.0.1:\${receiver.address().port}/v1/traces" }
tools:
  - name: greet.hello
    side_effect: read
    input_schema: { type: object, required: [name], properties: { name: { type: string, maxLength: 40 } } }
    connector: { type: function, handler: greet.hello }
\`, { filename: '<inline>', baseDir: dir });
const gateway = await createGateway(config, {
  handlers: { 'greet.hello': async ({ name }) => ({ greeting: 'hello, ' + name }) },
  auditWriter: 'thread',
});
let out;
try {
  const token = await mintToken(config, { sub: 'ana', tenant: 'acme', roles: ['greeter'], ttlSeconds: 60 });
  const call = await gateway.execute({ token, tool: 'greet.hello', arguments: { name: 'Ada' } });
  const audit = await gateway.verifyAudit();
  out = { status: call.status, result: call.result, policies: call.decision.reasons.map((r) => r.policy_id), audit };
} finally {
  // Closing sends the spans still queued.
  await gateway.close();
  receiver.close();
}
const spans = ['execute_tool greet.hello', 'identify', 'authorize', 'execute'].filter(spanNamed);
console.log(JSON.stringify({ ...out, spans, types: [...new Set(types)] }));
`,
    );
    const r = run([script]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { status: string; result: unknown; policies: string[]; audit: { ok: boolean; checked: number }; spans: string[]; types: string[] };
    assert.equal(out.status, 'executed');
    assert.deepEqual(out.spans, ['execute_tool greet.hello', 'identify', 'authorize', 'execute'], 'spans sent at close');
    assert.deepEqual(out.types, ['application/x-protobuf']);
    assert.deepEqual(out.result, { greeting: 'hello, Ada' });
    assert.deepEqual(out.policies, ['greeters-greet']);
    assert.equal(out.audit.ok, true);
    assert.equal(out.audit.checked, 2, 'intent and result recorded');
  });

  test("the README's library example runs as written against the installed package and typechecks against its declarations", () => {
    const dir = join(project, 'example');
    cpSync(LIBRARY_EXAMPLE_DIR, dir, { recursive: true, filter: libraryExampleFilter });
    const r = run([join(dir, 'pay-invoice.ts')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), LIBRARY_EXAMPLE_OUTPUT);

    // The declarations are real types, not `any`: a misuse must be an error.
    writeFileSync(
      join(dir, 'types.ts'),
      `import type { Gateway, ToolCallResult } from '${manifest.name}';
declare const gateway: Gateway;
// @ts-expect-error a tool is named by a string
void gateway.execute({ token: 't', tool: 1, arguments: {} });
// @ts-expect-error not a status a call can end in
export const status: ToolCallResult['status'] = 'maybe';
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2024',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2024'],
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          verbatimModuleSyntax: true,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
        },
        include: ['example'],
      }),
    );
    const tsc = run([join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(project, 'tsconfig.json')]);
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  });
});
