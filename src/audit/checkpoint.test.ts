/**
 * Signed checkpoints: MAC over every field, constant shape checks, key length, and the
 * checkpoint file (atomic replace, no temp files left, malformed files refused).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GENESIS_HASH } from './chain.ts';
import {
  checkpointPathFor,
  readCheckpointFile,
  removeStaleCheckpointTemps,
  signCheckpoint,
  verifyCheckpointSignature,
  writeCheckpointFile,
} from './checkpoint.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = new Uint8Array(32).fill(9);
const head = { seq: 12, hash: `sha256:${'ab'.repeat(32)}`, ts: '2026-01-01T00:00:00.000Z' };

describe('checkpoint signatures', () => {
  it('sign and verify round-trip; every field is covered', () => {
    const checkpoint = signCheckpoint(head, key);
    assert.match(checkpoint.mac, /^hmac-sha256:[0-9a-f]{64}$/);
    assert.equal(verifyCheckpointSignature(checkpoint, key), true);
    for (const change of [{ seq: 13 }, { hash: GENESIS_HASH }, { ts: '2026-01-02T00:00:00.000Z' }, { mac: checkpoint.mac.slice(0, -1) + (checkpoint.mac.endsWith('0') ? '1' : '0') }]) {
      assert.equal(verifyCheckpointSignature({ ...checkpoint, ...change }, key), false, JSON.stringify(change));
    }
    assert.equal(verifyCheckpointSignature(checkpoint, new Uint8Array(32).fill(8)), false);
  });

  it('refuses malformed checkpoints and short keys', () => {
    const checkpoint = signCheckpoint(head, key);
    assert.equal(verifyCheckpointSignature({ ...checkpoint, seq: '12' }, key), false);
    assert.equal(verifyCheckpointSignature({ ...checkpoint, seq: -1 }, key), false);
    assert.equal(verifyCheckpointSignature(null, key), false);
    assert.throws(() => signCheckpoint(head, new Uint8Array(31)), { code: 'ERR_AUDIT_CHECKPOINT_KEY' });
  });
});

describe('checkpoint files', () => {
  it('writes atomically beside the database and reads back', async () => {
    const path = checkpointPathFor(join(dir, 'audit.db'));
    assert.equal(path, join(dir, 'audit.db.checkpoint'));
    assert.equal(readCheckpointFile(path), null);
    const first = signCheckpoint(head, key);
    await writeCheckpointFile(path, first);
    const second = signCheckpoint({ ...head, seq: 13 }, key);
    await writeCheckpointFile(path, second);
    assert.deepEqual(readCheckpointFile(path), second);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('refuses a file that is not a checkpoint', () => {
    const path = join(dir, 'bad.checkpoint');
    writeFileSync(path, '{"seq": 1');
    assert.throws(() => readCheckpointFile(path), { code: 'ERR_AUDIT_CHECKPOINT' });
    writeFileSync(path, '{"seq": 1, "hash": "x"}');
    assert.throws(() => readCheckpointFile(path), { code: 'ERR_AUDIT_CHECKPOINT' });
  });

  it('removes temp files a killed writer left behind, but not fresh ones', () => {
    const path = join(dir, 'stale.db.checkpoint');
    const old = `${path}.123.aaaaaa.tmp`;
    const fresh = `${path}.456.bbbbbb.tmp`;
    const unrelated = join(dir, 'other.db.checkpoint.1.cccccc.tmp');
    for (const f of [old, fresh, unrelated]) writeFileSync(f, '{}');
    const longAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, longAgo, longAgo);
    utimesSync(unrelated, longAgo, longAgo);
    assert.equal(removeStaleCheckpointTemps(path, Date.now()), 1);
    const left = readdirSync(dir);
    assert.ok(!left.includes('stale.db.checkpoint.123.aaaaaa.tmp'));
    assert.ok(left.includes('stale.db.checkpoint.456.bbbbbb.tmp'));
    assert.ok(left.includes('other.db.checkpoint.1.cccccc.tmp'));
  });
});
