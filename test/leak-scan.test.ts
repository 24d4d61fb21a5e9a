/**
 * The suite-wide secret scan must be able to fail: a secret planted in an HTTP response, a
 * log line or a stored row is reported (also a JWT's signature alone, a value URL-encoded or
 * escaped inside a JSON string); a value allowed in
 * HTTP answers (an approval token handed to its requester) is still caught in logs and rows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { scanLeaks } from './support/leak-scan.ts';

function recordInChild(dir: string, script: string): void {
  const module = join(import.meta.dirname, 'support', 'leak-scan.ts');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as s from ${JSON.stringify(module)};\n${script}`], {
    env: { ...process.env, AIRLOCK_LEAK_SCAN_DIR: dir },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}

test('planted secrets are found in responses, logs and rows; allowed channels are honoured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-scan-test-'));
  const db = join(dir, 'audit.db');
  const store = new DatabaseSync(db);
  store.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT)');
  store.prepare('INSERT INTO events (body) VALUES (?)').run('{"type":"intent","note":"key=signing-key-0123456789abcdef"}');
  store.close();
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzYW0ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
  recordInChild(
    dir,
    `s.recordSecret('signing key', 'signing-key-0123456789abcdef');
     s.recordSecret('credential', ${JSON.stringify(jwt)});
     s.recordSecret('approval token', 'approval-token-abcdefghijklmnop', ['http']);
     s.recordSecret('too short', 'abc');
     s.recordDatabase(${JSON.stringify(db)});
     s.recordOutput('http', 'GET /v1/approvals/apr_1', '{"approval_token":"approval-token-abcdefghijklmnop"}');
     s.recordOutput('http', 'POST /v1/tool-calls', '{"status":"executed","result":{"sig":"c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"}}');
     s.recordOutput('log', 'server', '{"msg":"request","token":"approval-token-abcdefghijklmnop"}\\n{"msg":"clean abc"}\\n');`,
  );
  const report = scanLeaks(dir);
  assert.equal(report.secrets, 3, 'values too short to be distinctive are not scanned for');
  assert.equal(report.httpResponses, 2);
  assert.equal(report.logLines, 2);
  assert.equal(report.rows, 1);
  assert.deepEqual(
    report.leaks.map((l) => `${l.secret} @ ${l.where}`).sort(),
    [
      'approval token @ log server',
      'credential @ http POST /v1/tool-calls',
      `signing key @ row of ${db}`,
    ],
  );
});

test('a clean run reports no leak', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-scan-test-'));
  recordInChild(dir, `s.recordSecret('signing key', 'signing-key-0123456789abcdef'); s.recordOutput('http', 'GET /healthz', '{"ok":true}');`);
  const report = scanLeaks(dir);
  assert.deepEqual(report.leaks, []);
  assert.equal(report.secrets, 1);
});

test('a secret is found URL-encoded and escaped inside JSON text too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-scan-test-'));
  const secret = 'upstream-key/with"quote+plus';
  recordInChild(
    dir,
    `s.recordSecret('upstream key', ${JSON.stringify(secret)});
     s.recordOutput('log', 'encoded', ${JSON.stringify(`{"msg":"GET /x?key=${encodeURIComponent(secret)}"}`)});
     s.recordOutput('log', 'escaped', ${JSON.stringify(JSON.stringify({ msg: `bad key ${secret}` }))});
     s.recordOutput('http', 'clean', '{"ok":true}');`,
  );
  assert.deepEqual(scanLeaks(dir).leaks.map((l) => l.where).sort(), ['log encoded', 'log escaped']);
});
