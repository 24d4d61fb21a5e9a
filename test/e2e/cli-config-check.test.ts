/**
 * `airlock config check`, run as a user runs it: `--config FILE` like every other command
 * (the positional form still works), every start-up check of `serve` (handlers module,
 * secrets, policy bundle directory, policy against the tools), and `--json` answers on
 * stdout on errors too. A secret's value never appears in the output.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, DEMO_DIR, writeDemoConfig } from '../../scripts/demo-config.ts';

type Json = Record<string, unknown>;

function airlock(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The demo config in a fresh directory, its text changed by `edit`. */
function demoConfig(edit: (text: string, dir: string) => string = (t) => t): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-config-check-'));
  dirs.push(dir);
  const config = writeDemoConfig(dir);
  writeFileSync(config, edit(readFileSync(config, 'utf8'), dir));
  return { dir, config };
}

/** The demo's policy bundle copied into the directory, so a test can add a file to it. */
function ownBundle(text: string, dir: string): string {
  const bundle = join(dir, 'policies');
  cpSync(join(DEMO_DIR, 'policies'), bundle, { recursive: true });
  return text.replace(/bundle_dir: ".*"/, `bundle_dir: "${bundle}"`);
}

function problemsOf(stdout: string): Json[] {
  const answer = JSON.parse(stdout) as { ok: boolean; error: { code: string; details: { problems: Json[] } } };
  assert.equal(answer.ok, false);
  assert.equal(answer.error.code, 'ERR_CONFIG_CHECK_FAILED');
  return answer.error.details.problems;
}

describe('airlock config check', () => {
  test('--config FILE and the positional FILE both check the demo; --json reports the checked secrets by reference', () => {
    const { config } = demoConfig();
    const withOption = airlock(['config', 'check', '--config', config]);
    assert.equal(withOption.code, 0, withOption.stderr);
    assert.match(withOption.stdout, /^OK .* 5 tools/);
    const positional = airlock(['config', 'check', config]);
    assert.equal(positional.code, 0, positional.stderr);
    const json = airlock(['config', 'check', '--config', config, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as Json;
    assert.equal(answer.ok, true);
    assert.deepEqual((answer.secrets as Json[]).map((s) => s.at), ['identity.issuers[0].secret', 'audit.checkpoint_key']);
  });

  test('no file, or two different files, is a usage error (a JSON error object with --json)', () => {
    const none = airlock(['config', 'check', '--json']);
    assert.equal(none.code, 2);
    assert.equal((JSON.parse(none.stdout) as { error: Json }).error.code, 'ERR_CLI_USAGE');
    const { config } = demoConfig();
    const two = airlock(['config', 'check', config, '--config', join(DEMO_DIR, 'airlock.yaml')]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /two config files/);
  });

  test('a bad file with --json: the line-pointing errors as a JSON error object on stdout, exit 2', () => {
    const { config } = demoConfig((t) => t.replace('side_effect: irreversible', 'side_effect: destructive'));
    const r = airlock(['config', 'check', '--config', config, '--json']);
    assert.equal(r.code, 2);
    const answer = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; details: { errors: Array<{ path: string; line: number }> } } };
    assert.equal(answer.ok, false);
    assert.match(answer.error.code, /^ERR_CONFIG_/);
    assert.ok(answer.error.details.errors.some((e) => /side_effect/.test(e.path) && e.line > 0), r.stdout);
  });

  test('a handlers_module that does not load fails the check', () => {
    const { config } = demoConfig((t) => t.replace(/handlers_module: ".*"/, 'handlers_module: "./no-such-handlers.ts"'));
    const text = airlock(['config', 'check', '--config', config]);
    assert.equal(text.code, 2);
    assert.match(text.stderr, /handlers_module.*ERR_CONFIG_HANDLERS.*no-such-handlers\.ts/);
    const problems = problemsOf(airlock(['config', 'check', '--config', config, '--json']).stdout);
    assert.deepEqual(problems.map((p) => p.check), ['handlers_module']);
  });

  test('a secret the server resolves at start must be resolvable; its value is never printed', () => {
    const withToken = (t: string) => t.replace('server:\n', 'server:\n  metrics: { token: "env:AIRLOCK_CHECK_METRICS_TOKEN" }\n');
    const { config } = demoConfig(withToken);
    const unset = airlock(['config', 'check', '--config', config, '--json'], { AIRLOCK_CHECK_METRICS_TOKEN: '' });
    assert.equal(unset.code, 2);
    const problems = problemsOf(unset.stdout);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.check, 'secrets');
    assert.equal(problems[0]?.at, 'server.metrics.token');
    assert.match(String(problems[0]?.message), /AIRLOCK_CHECK_METRICS_TOKEN/);

    const value = 'metrics-token-value-that-must-not-be-shown-4711';
    for (const json of [true, false]) {
      const ok = airlock(['config', 'check', '--config', config, ...(json ? ['--json'] : [])], { AIRLOCK_CHECK_METRICS_TOKEN: value });
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(!ok.stdout.includes(value) && !ok.stderr.includes(value), 'the secret value is printed');
    }
    // A secret file that exists but is empty fails; the file path is named, not its contents.
    const { config: fileConfig, dir } = demoConfig((t, d) => t.replace('server:\n', `server:\n  metrics: { token: "file:${join(d, 'metrics.token')}" }\n`));
    writeFileSync(join(dir, 'metrics.token'), '\n');
    const empty = airlock(['config', 'check', '--config', fileConfig]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /server\.metrics\.token.*metrics\.token is empty/);
  });

  test('a missing policy bundle directory is named by its path', () => {
    const { config, dir } = demoConfig((t, d) => t.replace(/bundle_dir: ".*"/, `bundle_dir: "${join(d, 'no-such-policies')}"`));
    const r = airlock(['config', 'check', '--config', config]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(`policy bundle directory ${join(dir, 'no-such-policies')} does not exist`), r.stderr);
    const problems = problemsOf(airlock(['config', 'check', '--config', config, '--json']).stdout);
    assert.deepEqual(problems.map((p) => p.check), ['policy_bundle']);
  });

  test('a policy that does not validate against the tools fails with its diagnostics', () => {
    const { config, dir } = demoConfig(ownBundle);
    writeFileSync(join(dir, 'policies', 'extra.cedar'), '@id("typo")\npermit (principal, action == Airlock::Action::"crm.getCustomr", resource);\n');
    const r = airlock(['config', 'check', '--config', config, '--json']);
    assert.equal(r.code, 2);
    const problems = problemsOf(r.stdout);
    assert.equal(problems[0]?.check, 'policy');
    assert.equal(problems[0]?.code, 'ERR_POLICY_INVALID');
    assert.ok(((problems[0]?.diagnostics ?? []) as Json[]).some((d) => d.file === 'extra.cedar'), r.stdout);
  });
});
