/**
 * `airlock audit search`, `audit tail` (without --follow) and `audit export` run as a user
 * runs them, over a config's SQLite audit log: filters, the table and --json output, the
 * cursor, the last-N tail, and an export that `audit verify --jsonl` re-verifies (whole log
 * and a time range), while an edited export fails verification, and one whose tail was rewritten
 * fails against the head anchored outside the host.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.ts';
import type { AuditEvent, AuditEventInput } from '../../src/core/types.ts';
import { hashEvent } from '../../src/audit/chain.ts';
import { exportLine } from '../../src/pipeline/audit-access.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { REPO_ROOT, writeDemoConfig } from '../../scripts/demo-config.ts';

const BIN = join(REPO_ROOT, 'bin', 'airlock.js');

function airlock(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let n = 0;
function event(tenant: string, user: string, tool: string, outcome: string | null, rule?: string): AuditEventInput {
  n++;
  return {
    type: outcome === null ? 'result' : 'decision',
    request_id: `req_cli${n}`,
    trace_id: `trc_cli${n}`,
    session_id: null,
    action_id: `act_cli${n}`,
    parent_action_id: null,
    actor: { tenant, user, roles: ['support'], agent: 'support-agent' },
    tool,
    ...(outcome === null ? { result_code: 'ok' } : { decision: { outcome, reasons: rule === undefined ? [] : [{ policy_id: rule, effect: 'permit' }] } }),
  };
}

describe('airlock audit search / tail / export', () => {
  let dir: string;
  let config: string;
  let stored: AuditEvent[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-audit-cli-'));
    config = writeDemoConfig(dir);
    // Read-only reading needs no checkpoint key.
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^ {2}checkpoint_key:.*\n/m, ''));
    const clock = new ManualClock(Date.parse('2026-03-01T10:00:00.000Z'));
    const store = SqliteAuditStore.open(join(dir, 'audit.db'), { clock, writer: 'inline' });
    try {
      await store.append([event('acme', 'sam', 'crm.getCustomer', 'allow', 'support-read-active-customer'), event('acme', 'sam', 'crm.getCustomer', null)]);
      clock.advance(60_000);
      await store.append([event('acme', 'sam', 'crm.exportCustomers', 'deny', 'support-no-bulk-export'), event('globex', 'gina', 'crm.getCustomer', 'allow', 'support-read-active-customer')]);
      clock.advance(60_000);
      await store.append([event('acme', 'fin', 'billing.refund', 'approval_required', 'refund-needs-approval'), event('acme', 'fin', 'crm.exportCustomers', 'allow', 'finance-export-by-hand')]);
      stored = await store.read();
    } finally {
      await store.close();
    }
  });

  test('search prints a table of the matching events and filters like the API', () => {
    const all = airlock(['audit', 'search', '--config', config]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /SEQ\s+TIME\s+TYPE\s+ACTOR\s+TOOL\s+OUTCOME\s+RULE\s+REQUEST/);
    assert.match(all.stdout, /6 events\n$/);
    const denied = airlock(['audit', 'search', '--config', config, '--outcome', 'deny']);
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, /^3\s+2026-03-01T10:01:00\.000Z\s+decision\s+acme\/sam via support-agent\s+crm\.exportCustomers\s+DENY\s+support-no-bulk-export\s+req_cli3$/m);
    assert.match(denied.stdout, /1 event\n$/);
    const json = (args: string[]) => {
      const r = airlock(['audit', 'search', '--config', config, '--json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { events: AuditEvent[]; next_after_seq: number | null };
    };
    const seqs = (args: string[]) => json(args).events.map((e) => e.seq);
    assert.deepEqual(json([]).events, stored);
    assert.deepEqual(seqs(['--tenant', 'globex']), [4]);
    assert.deepEqual(seqs(['--tool', 'crm.exportCustomers']), [3, 6]);
    assert.deepEqual(seqs(['--rule', 'support-read-active-customer']), [1, 4]);
    assert.deepEqual(seqs(['--rule', 'support-read-active-customer', '--tenant', 'acme']), [1]);
    assert.deepEqual(seqs(['--user', 'fin', '--outcome', 'allow']), [6]);
    assert.deepEqual(seqs(['--type', 'result']), [2]);
    assert.deepEqual(seqs(['--from', '2026-03-01T10:01:00Z', '--to', '2026-03-01T10:02:00Z']), [3, 4]);
    assert.deepEqual(seqs(['--order', 'newest', '--tenant', 'acme']), [6, 5, 3, 2, 1]);
    const first = json(['--limit', '2']);
    assert.deepEqual(first.events.map((e) => e.seq), [1, 2]);
    assert.equal(first.next_after_seq, 2);
    assert.deepEqual(seqs(['--limit', '2', '--after-seq', '2']), [3, 4]);
    const bad = airlock(['audit', 'search', '--config', config, '--outcome', 'maybe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /ERR_AUDIT_SEARCH_INVALID/);
  });

  test('tail without --follow prints the last matching events, oldest of them first', () => {
    const r = airlock(['audit', 'tail', '--config', config, '--lines', '2', '--tenant', 'acme']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.match(rows[0] ?? '', /^SEQ/);
    assert.deepEqual(rows.slice(1).map((line) => Number(line.split(/\s+/)[0])), [5, 6]);
    const jsonl = airlock(['audit', 'tail', '--config', config, '--json', '--outcome', 'deny']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.deepEqual(jsonl.stdout.trim().split('\n').map((line) => JSON.parse(line) as AuditEvent), [stored[2]]);
  });

  test('export writes every event exactly as stored, and verify --jsonl re-verifies it', () => {
    const out = join(dir, 'export.jsonl');
    const r = airlock(['audit', 'export', '--config', config, '--format', 'jsonl', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exported 6 events \(seq 1\.\.6\)/);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.deepEqual(lines.map((line) => JSON.parse(line) as AuditEvent), stored);
    const ok = airlock(['audit', 'verify', '--jsonl', out]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /OK exported chain verified from genesis: 6 events, head seq 6/);
    assert.equal(airlock(['audit', 'export', '--config', config, '--out', out]).code, 1, 'an existing file is never overwritten');

    // A time range exports a segment, verified from its first event's prev_hash.
    const part = join(dir, 'part.jsonl');
    const ranged = airlock(['audit', 'export', '--config', config, '--from', '2026-03-01T10:01:00Z', '--out', part]);
    assert.equal(ranged.code, 0, ranged.stderr);
    assert.deepEqual(readFileSync(part, 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as AuditEvent).seq), [3, 4, 5, 6]);
    const partOk = airlock(['audit', 'verify', '--jsonl', part, '--json']);
    assert.equal(partOk.code, 0, partOk.stdout);
    assert.equal((JSON.parse(partOk.stdout) as { checked: number; from_seq: number }).checked, 4);

    // An edited line breaks the chain.
    const edited = join(dir, 'edited.jsonl');
    writeFileSync(edited, `${lines.map((line, i) => (i === 2 ? line.replace('"deny"', '"allow"') : line)).join('\n')}\n`);
    const broken = airlock(['audit', 'verify', '--jsonl', edited]);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN exported chain: first bad event at seq 3 \(hash_mismatch\)/);
    // A dropped line is a gap.
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, `${lines.filter((_, i) => i !== 3).join('\n')}\n`);
    assert.equal(airlock(['audit', 'verify', '--jsonl', cut]).code, 1);
    // A tail rewritten with a recomputed hash holds as a chain; the head anchored outside the host catches it.
    const last = stored.at(-1) as AuditEvent;
    const { hash: _hash, ...body } = { ...last, decision: { outcome: 'allow', code: 'policy.allow', reasons: [] } };
    const forged = join(dir, 'forged.jsonl');
    writeFileSync(forged, `${[...lines.slice(0, -1), exportLine({ ...body, hash: hashEvent(body.prev_hash, body) } as AuditEvent)].join('\n')}\n`);
    assert.equal(airlock(['audit', 'verify', '--jsonl', forged]).code, 0, 'without an anchor');
    const anchored = airlock(['audit', 'verify', '--jsonl', forged, '--anchor', `${last.seq}:${last.hash}`]);
    assert.equal(anchored.code, 1, anchored.stdout);
    assert.match(anchored.stdout, /BROKEN exported chain: first bad event at seq 6 \(checkpoint_mismatch\)/);
    assert.equal(airlock(['audit', 'verify', '--jsonl', out, '--anchor', `${last.seq}:${last.hash}`]).code, 0);
    assert.equal(airlock(['audit', 'verify', '--jsonl', out, '--anchor', `9:${last.hash}`]).code, 1, 'an export that ends before an anchored head');
    assert.equal(airlock(['audit', 'verify', '--jsonl', out, '--expect-checkpoint', join(dir, 'x.checkpoint')]).code, 2, 'never silently left out');
    // Export to stdout is the same bytes.
    const stdout = airlock(['audit', 'export', '--config', config]);
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.equal(stdout.stdout, readFileSync(out, 'utf8'));
  });
});

test('control characters a caller put in a recorded field are shown, never sent to the terminal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-cli-'));
  const config = writeDemoConfig(dir);
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^ {2}checkpoint_key:.*\n/m, ''));
  const store = SqliteAuditStore.open(join(dir, 'audit.db'), { writer: 'inline' });
  try {
    // An agent asked for a "tool" whose name clears the screen, sets the clipboard and rewrites its row.
    await store.append([event('acme', 'sam', 'x\u001b[2J\u001b[H\u001b]52;c;ZXZpbA==\u0007\rcrm.getCustomer ALLOW\u202e', 'deny', 'builtin.unknown_tool')]);
  } finally {
    await store.close();
  }
  for (const args of [['audit', 'search'], ['audit', 'tail']]) {
    const r = airlock([...args, '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(r.stdout), JSON.stringify(r.stdout));
    assert.match(r.stdout, /x␛\[2J␛\[H␛\]52;c;ZXZpbA==␇␍crm\.getCustomer ALLOW\\u\{202e\}/);
  }
});
