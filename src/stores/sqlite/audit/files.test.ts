/**
 * SqliteAuditStore when its database files are deleted or replaced while it runs: an open
 * connection would go on committing into files no path reaches any more. In every writer mode
 * the store refuses the append (ERR_AUDIT_UNAVAILABLE, reason file_replaced) instead of
 * acknowledging it, `head()` fails (readiness), the fault is reported once, and the signed
 * checkpoint never advances over events that no file holds.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AirlockError } from '../../../core/errors.ts';
import { readCheckpointFile } from '../../../audit/checkpoint.ts';
import { SqliteAuditStore } from './store.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-files-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(root, `files-${++files}`, 'audit.db');
const KEY = new Uint8Array(32).fill(5);

function isFileReplaced(error: unknown): boolean {
  assert.ok(error instanceof AirlockError, String(error));
  assert.equal(error.code, 'ERR_AUDIT_UNAVAILABLE');
  assert.equal(error.status, 503);
  assert.equal(error.details?.reason, 'file_replaced');
  return true;
}

/** Opens a store with a checkpoint key, ready in its writer mode, reporting faults into `faults`. */
async function openStore(path: string, writer: 'thread' | 'inline' | 'auto', faults: AirlockError[]): Promise<SqliteAuditStore> {
  mkdirSync(join(path, '..'), { recursive: true });
  const store = SqliteAuditStore.open(path, { writer, checkpointKey: KEY, onFault: (e) => faults.push(e) });
  assert.equal(await store.whenWriterReady(), writer !== 'inline');
  return store;
}

/** Appends as the writer mode commits them: concurrent appends (thread batches) or one at a time. */
function appendSome(store: SqliteAuditStore, writer: 'thread' | 'inline' | 'auto'): Promise<unknown> {
  return writer === 'inline' ? store.append([sampleEventInput()]) : Promise.all([1, 2, 3].map(() => store.append([sampleEventInput()])));
}

describe('audit database files deleted or replaced while the store runs', () => {
  for (const writer of ['thread', 'inline', 'auto'] as const) {
    it(`${writer} writer: deleted files with directories in their place refuse every append; head fails; the checkpoint stays`, async () => {
      const path = freshPath();
      const faults: AirlockError[] = [];
      const store = await openStore(path, writer, faults);
      try {
        await appendSome(store, writer);
        await store.checkpoint(); // drains the checkpoint writes
        const attested = readCheckpointFile(`${path}.checkpoint`);
        const head = await store.head();
        assert.equal(attested?.seq, head?.seq);

        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          rmSync(file, { force: true });
          mkdirSync(file);
        }
        await assert.rejects(appendSome(store, writer), isFileReplaced);
        await assert.rejects(store.append([sampleEventInput()]), isFileReplaced);
        await assert.rejects(store.head(), isFileReplaced);
        assert.equal(faults.length, 1, 'reported once');
        isFileReplaced(faults[0]);
        await store.checkpoint();
        assert.deepEqual(readCheckpointFile(`${path}.checkpoint`), attested, 'the checkpoint did not advance');
      } finally {
        await store.close();
      }
    });

    it(`${writer} writer: the database swapped for a copy of itself is refused as well (same content, another file)`, async () => {
      const path = freshPath();
      const faults: AirlockError[] = [];
      const store = await openStore(path, writer, faults);
      try {
        await appendSome(store, writer);
        copyFileSync(path, `${path}.copy`);
        renameSync(`${path}.copy`, path);
        await assert.rejects(appendSome(store, writer), isFileReplaced);
        assert.equal(faults.length, 1);
      } finally {
        await store.close();
      }
    });
  }

  it('an idle store notices on its own (timer) and reports it, with no append to trip over it', { timeout: 15_000 }, async () => {
    const path = freshPath();
    let reported: (error: AirlockError) => void = () => undefined;
    const fault = new Promise<AirlockError>((resolve) => {
      reported = resolve;
    });
    mkdirSync(join(path, '..'), { recursive: true });
    const store = SqliteAuditStore.open(path, { writer: 'inline', onFault: (e) => reported(e) });
    try {
      await store.append([sampleEventInput()]);
      rmSync(`${path}-wal`);
      isFileReplaced(await fault);
    } finally {
      await store.close();
    }
  });

  it('files left alone: no fault, appends keep being acknowledged across several batches', async () => {
    const path = freshPath();
    const faults: AirlockError[] = [];
    const store = await openStore(path, 'auto', faults);
    try {
      for (let i = 0; i < 5; i++) await appendSome(store, 'auto');
      assert.equal((await store.head())?.seq, 15);
      assert.equal(faults.length, 0);
    } finally {
      await store.close();
    }
  });
});
