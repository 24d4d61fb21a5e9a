/**
 * `airlock audit verify` with a checkpoint key configured: a log whose checkpoint file was
 * deleted fails as the gateway's open does (`checkpoint_missing`), and heads recorded outside
 * the host (`--expect-checkpoint FILE`, `--anchor seq:hash`) tell a new log from a wiped or
 * cut-back one — also when an older checkpoint file was put back beside a truncated log.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { sampleEventInput } from '../../src/audit/store.contract.ts';
import type { AirlockConfig } from '../../src/config/types.ts';
import { openAuditLog } from '../../src/pipeline/index.ts';
import type { AuditAnchors } from '../../src/pipeline/admin.ts';
import { main } from '../../src/cli/main.ts';
import { demoConfig } from '../support/demo.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const KEY_TEXT = 'checkpoint-key-for-the-anchor-tests-0123456789';
const KEY = new TextEncoder().encode(KEY_TEXT);

/** A config whose audit log holds `events` events with its checkpoint, and a published copy of that checkpoint. */
async function logWith(events: number): Promise<{ config: AirlockConfig; dir: string; db: string; published: string; configFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-anchor-'));
  dirs.push(dir);
  const db = join(dir, 'audit.db');
  writeFileSync(join(dir, 'checkpoint.key'), KEY_TEXT);
  const base = await demoConfig(dir);
  const config: AirlockConfig = { ...base, audit: { type: 'sqlite', path: db, checkpointKey: `file:${join(dir, 'checkpoint.key')}` } };
  const store = SqliteAuditStore.open(db, { checkpointKey: KEY, writer: 'inline' });
  for (let i = 0; i < events; i++) await store.append([sampleEventInput()]);
  await store.close();
  const published = join(dir, 'published.checkpoint');
  copyFileSync(`${db}.checkpoint`, published);
  // The same config as a file, for the CLI.
  const configFile = join(dir, 'airlock.yaml');
  writeFileSync(
    configFile,
    [
      'identity:',
      '  audience: airlock',
      '  issuers:',
      '    - issuer: dev',
      '      algorithms: [HS256]',
      `      secret: file:${join(dir, 'dev.key')}`,
      'policy:',
      `  bundle_dir: ${base.policy.bundleDir}`,
      'audit:',
      '  type: sqlite',
      `  path: ${db}`,
      `  checkpoint_key: file:${join(dir, 'checkpoint.key')}`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'dev.key'), 'dev-key-for-the-anchor-tests-0123456789abcdef');
  return { config, dir, db, published, configFile };
}

/** An attacker with the files: drops the guard triggers and deletes every event above `keep`. */
function cutBack(db: string, keep: number): void {
  const admin = new DatabaseSync(db);
  admin.exec('DROP TRIGGER events_no_delete');
  admin.prepare('DELETE FROM events WHERE seq > ?').run(keep);
  admin.close();
}

async function verify(config: AirlockConfig, anchors?: AuditAnchors) {
  const log = await openAuditLog(config);
  try {
    return await log.verify(anchors);
  } finally {
    await log.close();
  }
}

describe('audit verify with a checkpoint key', () => {
  test('a truncated log whose checkpoint file was deleted fails verify (checkpoint_missing), from the CLI too', async () => {
    const { config, db, configFile } = await logWith(5);
    assert.equal((await verify(config)).ok, true);
    cutBack(db, 3);
    rmSync(`${db}.checkpoint`);
    const report = await verify(config);
    assert.equal(report.ok, false);
    assert.equal(report.firstBad?.reason, 'checkpoint_missing');
    // The gateway refuses to open that log; verify now agrees.
    assert.throws(() => SqliteAuditStore.open(db, { checkpointKey: KEY }), { code: 'ERR_AUDIT_CHECKPOINT' });
    assert.equal(await main(['node', 'airlock', 'audit', 'verify', '--config', configFile, '--json']), 1);
  });

  test('an emptied log without its checkpoint does not pass as new; the published checkpoint says it was wiped', async () => {
    const { config, db, published, configFile } = await logWith(4);
    cutBack(db, 0);
    rmSync(`${db}.checkpoint`);
    const bare = await verify(config);
    assert.equal(bare.ok, false);
    assert.equal(bare.firstBad?.reason, 'checkpoint_missing');
    const wiped = await verify(config, { checkpointFiles: [published] });
    assert.equal(wiped.ok, false);
    assert.equal(wiped.firstBad?.reason, 'truncated');
    assert.equal(await main(['node', 'airlock', 'audit', 'verify', '--config', configFile, '--expect-checkpoint', published]), 1);
    // An operator who recorded that this log is new says so.
    assert.equal((await verify(config, { anchors: ['0:genesis'] })).ok, true);
  });

  test('an older checkpoint put back beside a cut-back log is caught by a head recorded outside the host', async () => {
    const { config, db, dir } = await logWith(3);
    const old = join(dir, 'old.checkpoint');
    copyFileSync(`${db}.checkpoint`, old);
    const store = SqliteAuditStore.open(db, { checkpointKey: KEY, writer: 'inline' });
    await store.append([sampleEventInput()]);
    const [last] = await store.append([sampleEventInput()]);
    await store.close();
    assert.ok(last !== undefined);
    cutBack(db, 3);
    copyFileSync(old, `${db}.checkpoint`);
    assert.equal((await verify(config)).ok, true, 'the local checkpoint alone cannot see it');
    const anchored = await verify(config, { anchors: [`${last.seq}:${last.hash}`] });
    assert.equal(anchored.ok, false);
    assert.equal(anchored.firstBad?.reason, 'truncated');
    // A head the log does hold passes; a forged published checkpoint does not.
    const third = hashAt(db, 3);
    assert.equal((await verify(config, { anchors: [`3:${third}`] })).ok, true);
    const forged = join(dir, 'forged.checkpoint');
    writeFileSync(forged, JSON.stringify({ seq: 3, hash: third, ts: new Date().toISOString(), mac: `hmac-sha256:${'0'.repeat(64)}` }));
    const refused = await verify(config, { checkpointFiles: [forged] });
    assert.equal(refused.firstBad?.reason, 'checkpoint_mismatch');
    await assert.rejects(verify(config, { anchors: ['3:nothex'] }), { code: 'ERR_AUDIT_ANCHOR' });
  });
});

function hashAt(db: string, seq: number): string {
  const reader = new DatabaseSync(db, { readOnly: true });
  try {
    return (reader.prepare('SELECT hash FROM events WHERE seq = ?').get(seq) as { hash: string }).hash;
  } finally {
    reader.close();
  }
}
