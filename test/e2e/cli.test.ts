/**
 * The CLI contract, run as a user runs it (a child process): token mint, config check with
 * a line-pointing error, audit verify (exit 1 once a row is tampered with), audit trace,
 * policy check and schema, the scripted demo, and `start` serving the demo.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { decodeJwt } from 'jose';
import { DEMO_DIR as DEMO, REPO_ROOT as ROOT, writeDemoConfig } from '../../scripts/demo-config.ts';
import { recordDatabase, recordKeyFiles, recordOutput } from '../support/leak-scan.ts';

const BIN = join(ROOT, 'bin', 'airlock.js');

function airlock(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Stops a child process (if it is still running) and waits for it. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/** The server's output (its JSON logs) goes to the suite's secret scan, with the keys of its data directory. */
function scanned(child: ChildProcess, source: string): void {
  child.stdout?.on('data', (d: Buffer) => recordOutput('log', source, d.toString()));
  child.stderr?.on('data', (d: Buffer) => recordOutput('log', source, d.toString()));
}

const copies: string[] = [];

/** The demo config with its data in a fresh directory. */
function demoCopy(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
  copies.push(dir);
  return { dir, config: writeDemoConfig(dir) };
}

describe('airlock CLI', () => {
  after(() => copies.forEach(recordKeyFiles));
  test('--version prints the version in package.json', () => {
    const r = airlock(['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('token mint prints a token with the requested claims', () => {
    const { config } = demoCopy();
    const r = airlock(['token', 'mint', '--config', config, '--sub', 'sam', '--tenant', 'acme', '--roles', 'support,reviewer', '--agent', 'bot-1', '--ttl', '120']);
    assert.equal(r.code, 0, r.stderr);
    const claims = decodeJwt(r.stdout.trim());
    assert.equal(claims.sub, 'sam');
    assert.equal(claims.tenant, 'acme');
    assert.deepEqual(claims.roles, ['support', 'reviewer']);
    assert.deepEqual(claims.act, { sub: 'bot-1' });
    assert.equal((claims.exp as number) - (claims.iat as number), 120);
    assert.equal(claims.aud, 'airlock');
  });

  test('config check: OK for the demo; a bad file exits 2 naming the key path and line', () => {
    const ok = airlock(['config', 'check', join(DEMO, 'airlock.yaml')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK .* 5 tools/);
    const { dir } = demoCopy();
    const bad = join(dir, 'bad.yaml');
    const text = readFileSync(join(DEMO, 'airlock.yaml'), 'utf8').replace('side_effect: irreversible', 'side_effect: destructive');
    writeFileSync(bad, text);
    const line = text.split('\n').findIndex((l) => l.includes('side_effect: destructive')) + 1;
    const r = airlock(['config', 'check', bad]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`bad\\.yaml:${line}:\\d+ tools\\[3\\]\\.side_effect`));
  });

  test('policy check validates the bundle; policy schema prints the generated Cedar schema', () => {
    const { config } = demoCopy();
    const check = airlock(['policy', 'check', '--config', config, '--json']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(JSON.parse(check.stdout).version, /^sha256:/);
    const schema = airlock(['policy', 'schema', '--config', config]);
    assert.equal(schema.code, 0, schema.stderr);
    assert.match(schema.stdout, /namespace Airlock/);
    assert.match(schema.stdout, /crm\.getCustomer/);
  });

  test('demo plays the scripted session: the injected export is denied, the chain verifies', () => {
    const r = airlock(['demo', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { steps: Array<{ tool: string; status: string; decision: { code: string } }>; audit: { ok: boolean }; lineage: { text: string } };
    const exportStep = out.steps.find((s) => s.tool === 'crm.exportCustomers');
    assert.equal(exportStep?.status, 'denied');
    assert.equal(exportStep?.decision.code, 'policy.forbid');
    assert.ok(out.steps.some((s) => s.status === 'approval_required'));
    assert.ok(out.steps.some((s) => s.decision.code === 'scope.tenant_mismatch'));
    assert.equal(out.audit.ok, true);
    assert.match(out.lineage.text, /billing\.refund/);
  });

  test('serve, then audit trace prints the lineage and audit verify catches a tampered row', async () => {
    const { dir, config } = demoCopy();
    const token = airlock(['token', 'mint', '--config', config, '--sub', 'fin', '--tenant', 'acme', '--roles', 'finance-lead']).stdout.trim();
    const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    scanned(child, 'airlock serve');
    recordDatabase(join(dir, 'audit.db'));
    recordDatabase(join(dir, 'state.db'));
    let requestId = '';
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('"airlock listening"'));
          if (line !== undefined) done((JSON.parse(line) as { url: string }).url);
        });
        child.once('exit', (code) => fail(new Error(`serve exited ${code}`)));
      });
      const res = await fetch(`${url}/v1/tool-calls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 30 } }),
      });
      assert.equal(res.status, 200);
      requestId = ((await res.json()) as { request_id: string }).request_id;
    } finally {
      await stop(child);
    }

    const trace = airlock(['audit', 'trace', requestId, '--config', config]);
    assert.equal(trace.code, 0, trace.stderr);
    assert.match(trace.stdout, /intent\s+billing\.refund\s+allow\/policy\.permit\s+\[staff-refund\]/);
    assert.match(trace.stdout, /result\s+billing\.refund\s+result=ok/);
    const json = JSON.parse(airlock(['audit', 'trace', requestId, '--config', config, '--json']).stdout) as { events: Array<{ type: string }> };
    assert.deepEqual(json.events.map((e) => e.type), ['intent', 'result']);

    const verified = airlock(['audit', 'verify', '--config', config]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^OK audit chain verified: 2 events/);

    // An attacker with write access to the database file drops the append-only triggers and
    // rewrites the recorded decision.
    const db = new DatabaseSync(join(dir, 'audit.db'));
    db.exec('DROP TRIGGER events_no_update');
    const row = db.prepare('SELECT seq, body FROM events WHERE type = ?').get('intent') as { seq: number; body: string };
    db.prepare('UPDATE events SET body = ? WHERE seq = ?').run(row.body.replace('"policy.permit"', '"policy.forbid"'), row.seq);
    db.close();
    const broken = airlock(['audit', 'verify', '--config', config, '--json']);
    assert.equal(broken.code, 1);
    const report = JSON.parse(broken.stdout) as { ok: boolean; firstBad: { seq: number } };
    assert.equal(report.ok, false);
    assert.equal(report.firstBad.seq, row.seq);
  });

  test('start serves the demo and prints a working dev token for sam, and the console with a token for a lead', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    scanned(child, 'airlock start');
    try {
      const { url, token, lead, consoleUrl } = await new Promise<{ url: string; token: string; lead: string; consoleUrl: string }>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const url = /serving the support-desk demo on (http:\/\/\S+)/.exec(out)?.[1];
          const consoleUrl = /Web console \(approvals, lineage, operations, trends\): (http:\/\/\S+)/.exec(out)?.[1];
          const [token, lead] = [...out.matchAll(/^(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/gm)].map((m) => m[1] ?? '');
          if (url !== undefined && consoleUrl !== undefined && token !== undefined && lead !== undefined) done({ url, token, lead, consoleUrl });
        });
        child.once('exit', (code) => fail(new Error(`start exited ${code}`)));
      });
      assert.equal(decodeJwt(token).sub, 'sam');
      assert.equal(consoleUrl, `${url}/console/`);
      const me = (await (await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${lead}` } })).json()) as { user: string; roles: string[] };
      assert.deepEqual([me.user, me.roles], ['lena', ['support-lead', 'auditor', 'security-admin']]);
      assert.deepEqual(await (await fetch(`${url}/console/sign-in.json`)).json(), { mode: 'token' });
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      // The demo requires a session for every agent call (sessions.required), as the quick start shows.
      const sessionless = (await (await fetch(`${url}/v1/decide`, { method: 'POST', headers, body: JSON.stringify({ tool: 'crm.exportCustomers', arguments: {} }) })).json()) as { decision: { code: string } };
      assert.equal(sessionless.decision.code, 'session.required');
      const created = (await (await fetch(`${url}/v1/sessions`, { method: 'POST', headers, body: '{}' })).json()) as { session_id: string };
      const res = await fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ session_id: created.session_id, tool: 'crm.exportCustomers', arguments: {} }),
      });
      const body = (await res.json()) as { outcome: string; reasons: Array<{ policy_id: string }> };
      assert.equal(body.outcome, 'deny');
      assert.equal(body.reasons[0]?.policy_id, 'support-no-bulk-export');
    } finally {
      await stop(child);
    }
  });
});
