/**
 * CheckpointWriter: writes are spaced by the interval (heads in between coalesce into the
 * newest), a head after a quiet spell is written at once, drain() writes the newest head
 * without waiting, a log whose files are gone is never attested, and failed writes are told
 * each time and their end once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { readCheckpointFile, verifyCheckpointSignature } from './checkpoint.ts';
import { CheckpointWriter } from './checkpoint-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-checkpoint-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = new Uint8Array(32).fill(5);
const headAt = (seq: number) => ({ seq, hash: `sha256:${seq.toString(16).padStart(64, '0')}` });
let files = 0;
const freshPath = () => join(dir, `audit-${files++}.db.checkpoint`);

/** Waits (without a time limit of its own: the test runner's applies) until `count` writes finished. */
async function untilWritten(writer: CheckpointWriter, count: number): Promise<void> {
  while (writer.writes < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('CheckpointWriter', () => {
  it('coalesces heads committed within the interval into the newest, and drain() writes it at once', async () => {
    const path = freshPath();
    // An interval far longer than the test: only drain() can have written the second checkpoint.
    const writer = new CheckpointWriter(path, key, systemClock, { intervalMs: 60_000 });
    writer.update(headAt(1));
    await untilWritten(writer, 1);
    assert.equal(readCheckpointFile(path)?.seq, 1, 'the first head after a quiet spell is written at once');
    for (let seq = 2; seq <= 50; seq++) writer.update(headAt(seq));
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(readCheckpointFile(path)?.seq, 1, 'within the interval the file keeps the last written head');
    assert.equal(writer.writes, 1);
    await writer.drain(); // would wait a minute (and time the test out) if it waited for the interval
    const written = readCheckpointFile(path);
    assert.deepEqual(written && { seq: written.seq, hash: written.hash }, headAt(50));
    assert.equal(verifyCheckpointSignature(written, key), true);
    assert.equal(writer.writes, 2, 'the 49 heads in between were one write');
  });

  it('with interval 0 writes after every head once the previous write finished', async () => {
    const path = freshPath();
    const writer = new CheckpointWriter(path, key, systemClock, { intervalMs: 0 });
    for (let seq = 1; seq <= 5; seq++) {
      writer.update(headAt(seq));
      await writer.drain();
      assert.equal(readCheckpointFile(path)?.seq, seq);
    }
    assert.equal(writer.writes, 5);
  });

  it('tells every failed write and, once, the write that succeeds after them', async () => {
    const path = freshPath();
    const told: string[] = [];
    const writer = new CheckpointWriter(path, key, systemClock, {
      intervalMs: 0,
      onError: (error) => told.push(`error ${String((error as NodeJS.ErrnoException).code)}`),
      onRecovered: () => told.push('recovered'),
    });
    writer.update(headAt(1));
    await writer.drain();
    // A non-empty directory in the file's place: renaming onto it fails (also for root).
    rmSync(path);
    mkdirSync(path);
    writeFileSync(join(path, 'keep'), '');
    for (let seq = 2; seq <= 3; seq++) {
      writer.update(headAt(seq));
      await writer.drain();
    }
    assert.equal(told.length, 2);
    assert.ok(told.every((t) => /^error E[A-Z]+$/.test(t)), told.join(', '));
    assert.equal(writer.errors, 2);
    rmSync(path, { recursive: true });
    for (let seq = 4; seq <= 5; seq++) {
      writer.update(headAt(seq));
      await writer.drain();
    }
    assert.deepEqual(told.slice(2), ['recovered'], 'the end of the failures is told once, not at every later write');
    assert.equal(readCheckpointFile(path)?.seq, 5);
    assert.equal(writer.writes, 3);
  });

  it('leaves the checkpoint where it is once the log is no longer intact, also on drain()', async () => {
    const path = freshPath();
    let intact = true;
    const writer = new CheckpointWriter(path, key, systemClock, { intervalMs: 60_000, intact: () => intact });
    writer.update(headAt(3));
    await writer.drain();
    writer.update(headAt(4));
    intact = false;
    await writer.drain();
    assert.equal(readCheckpointFile(path)?.seq, 3);
  });
});
