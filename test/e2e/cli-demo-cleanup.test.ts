/**
 * `airlock demo` leaves nothing behind: its temporary directory (audit log, state, dev key)
 * is removed when it ends; `--keep` keeps it and names the audit log. Run as a user runs it,
 * with TMPDIR pointing at a fresh directory so the test sees exactly what the demo created.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI_MAIN } from '../../scripts/demo-config.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function demo(args: string[]): { code: number; stdout: string; stderr: string; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'airlock-demo-tmp-'));
  dirs.push(tmp);
  const r = spawnSync(process.execPath, [CLI_MAIN, 'demo', ...args], { encoding: 'utf8', env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, tmp };
}

test('demo removes its temporary directory when it ends (text and --json)', () => {
  for (const args of [[], ['--json']]) {
    const r = demo(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /crm\.exportCustomers/);
    assert.deepEqual(readdirSync(r.tmp), [], `left behind: ${readdirSync(r.tmp).join(', ')}`);
  }
});

test('demo --keep keeps the directory and names its audit log', () => {
  const r = demo(['--json', '--keep']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { audit_path: string | null; audit: { ok: boolean } };
  assert.equal(out.audit.ok, true);
  assert.ok(out.audit_path !== null && existsSync(out.audit_path), String(out.audit_path));
  assert.equal(dirname(dirname(out.audit_path)), r.tmp);
  assert.equal(readdirSync(r.tmp).length, 1);
});
