/**
 * `airlock audit prune` as an operator runs it on a real SQLite log with signed checkpoints:
 * a dry run writes nothing, a run prunes the due classes in audit.pruned records, then
 * `audit verify`, `audit trace` and a time-range export verified with `audit verify --jsonl`
 * still hold and show the events as pruned; a config without audit.retention is refused.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEventInput } from '../../src/audit/store.contract.ts';
import { resolveSecretRef } from '../../src/config/index.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { writeDemoConfig } from '../../scripts/demo-config.ts';
import { runAirlock } from '../support/cli.ts';


describe('airlock audit prune', () => {
  let dir: string;
  let config: string;
  let plain: string;
  let requestId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-prune-cli-'));
    plain = writeDemoConfig(dir);
    const text = readFileSync(plain, 'utf8');
    assert.match(text, /^audit:\n {2}type: sqlite\n/m);
    config = join(dir, 'retention.yaml');
    writeFileSync(config, text.replace(/^audit:\n {2}type: sqlite\n/m, 'audit:\n  type: sqlite\n  retention:\n    classes:\n      arguments: { max_age_days: 0 }\n      identity: { max_age_days: 0 }\n'));
    const key = await resolveSecretRef(`file:${join(dir, 'audit-checkpoint.key')}`, dir, { createIfMissing: true });
    const store = SqliteAuditStore.open(join(dir, 'audit.db'), { checkpointKey: key, writer: 'inline' });
    try {
      const [first] = await store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
      requestId = first?.request_id as string;
    } finally {
      await store.close();
    }
  });

  test('--dry-run reports what is due and writes nothing; a run prunes it and the log still verifies', async () => {
    const dry = await runAirlock(['audit', 'prune', '--config', config, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const planned = JSON.parse(dry.stdout) as { due: number; pruned: number; byClass: Record<string, number> };
    assert.deepEqual([planned.due, planned.pruned, planned.byClass.arguments, planned.byClass.identity, planned.byClass.content], [3, 0, 3, 3, 0]);

    const run = await runAirlock(['audit', 'prune', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^arguments +0 d +\S+ +3$/m);
    assert.match(run.stdout, /^content +kept +- +0$/m);
    assert.match(run.stdout, /^PRUNED 3 event\(s\) in 1 record\(s\) \(audit.pruned at seq 4\)$/m);
    assert.match(run.stderr, /verified the chain up to seq 3; 3 event\(s\) due/);

    const verify = await runAirlock(['audit', 'verify', '--config', config]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^OK audit chain verified: 4 events/m);
    assert.match(verify.stdout, /^3 pruned event\(s\), each vouched for/m);

    const trace = await runAirlock(['audit', 'trace', requestId, '--config', config]);
    assert.equal(trace.code, 0, trace.stderr);
    assert.match(trace.stdout, /\(pruned arguments, identity by #4\)/);

    const search = await runAirlock(['audit', 'search', '--config', config, '--type', 'decision']);
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, /decision \(pruned\) +acme\/\[pruned\] via agent-7/);

    const again = await runAirlock(['audit', 'prune', '--config', config, '--json']);
    assert.equal((JSON.parse(again.stdout) as { due: number }).due, 0);
  });

  test('an export of the pruned events without their record verifies and says they are not vouched for', async () => {
    const out = join(dir, 'range.jsonl');
    const exported = await runAirlock(['audit', 'export', '--config', config, '--out', out]);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4);
    const head = join(dir, 'head.jsonl');
    writeFileSync(head, `${lines.slice(0, 3).join('\n')}\n`);
    const partial = await runAirlock(['audit', 'verify', '--jsonl', head]);
    assert.equal(partial.code, 0, partial.stdout + partial.stderr);
    assert.match(partial.stdout, /^3 pruned event\(s\) whose prune record lies after the end of the file/m);
    const pruned = lines.slice(0, 3).map((line) => JSON.parse(line) as { seq: number; pruned?: unknown }).filter((e) => e.pruned !== undefined).map((e) => e.seq);
    assert.equal(pruned.length, 3);
    assert.match(partial.stdout, new RegExp(`not vouched for by it \\(seq ${pruned.join(', ')}\\)$`, 'm'), 'the unvouched events are named by seq');
    const whole = await runAirlock(['audit', 'verify', '--jsonl', out]);
    assert.equal(whole.code, 0, whole.stdout);
    assert.match(whole.stdout, /^3 pruned event\(s\) vouched for by the prune records in the file$/m);
  });

  test('a config without audit.retention is refused with what is missing (exit 2)', async () => {
    const r = await runAirlock(['audit', 'prune', '--config', plain]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ERR_AUDIT_RETENTION_OFF: this config has no audit.retention section/);
  });
});
