/**
 * The audit writer thread: owns its own connection to the audit database (WAL,
 * synchronous=FULL, checked like every connection) and runs each group commit there, so
 * inserts, index upkeep and the fsync of COMMIT never block the gateway's event loop.
 * Messages: it first posts {type:'ready'} (or {type:'failed'} when it cannot open the database);
 * then {type:'commit', id, events, ms, waitMs} -> {type:'result', id, ok, result | message, code};
 * `waitMs` bounds how long this commit waits for another connection's write lock (the wait
 * blocks this thread only, never the event loop).
 * {type:'checkpoint', id, path, checkpoint} -> {type:'checkpointed', id, ok, message, code}: replaces the
 * signed checkpoint file at `path` with writeCheckpointFile (temp file, fsync, rename, fsync of
 * the directory) on this thread's event loop, so its file operations are never the gateway's;
 * the checkpoint comes signed (the key never reaches this thread), and commits go on meanwhile.
 * {type:'close'} ends it once the checkpoint writes it took are done.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { writeCheckpointFile } from '../../../audit/checkpoint.ts';
import type { Checkpoint } from '../../../audit/checkpoint.ts';
import { unpackWires } from '../../../audit/event-record.ts';
import { applyDurability, applyWriterTuning, checkSchemaVersion } from './schema.ts';
import { SqliteBatchWriter } from './writer.ts';

interface CommitMessage {
  type: 'commit';
  id: number;
  /** packWires() of the batch's events in order. */
  events: string;
  ms: number;
  /** Longest wait for the write lock (busy_timeout) for this commit. */
  waitMs: number;
}

interface CheckpointMessage {
  type: 'checkpoint';
  id: number;
  path: string;
  checkpoint: Checkpoint;
}

const { path } = workerData as { path: string };
const port = parentPort;
if (port === null) throw new Error('writer.worker.ts must run as a worker thread');

function describe(error: unknown): { message: string; code: string | null; errcode: number | null } {
  const e = error as { message?: unknown; code?: unknown; errcode?: unknown };
  return {
    message: typeof e?.message === 'string' ? e.message : String(error),
    code: typeof e?.code === 'string' ? e.code : null,
    // SQLite's result code (e.g. 5, busy: the lock wait ran out).
    errcode: typeof e?.errcode === 'number' ? e.errcode : null,
  };
}

let db: DatabaseSync | null = null;
let writer: SqliteBatchWriter | null = null;
let openError: unknown = null;
// Opening may wait for a lock a while (this thread only); each commit then sets its own bound.
let busyTimeout = 2000;
try {
  db = new DatabaseSync(path, { timeout: busyTimeout });
  applyDurability(db);
  applyWriterTuning(db);
  checkSchemaVersion(db);
  writer = new SqliteBatchWriter(db);
} catch (error) {
  openError = error;
  db?.close();
  db = null;
}
port.postMessage(writer === null ? { type: 'failed', ...describe(openError) } : { type: 'ready' });

/** Checkpoint writes under way (close waits for them: a write is answered, never dropped). */
const checkpointWrites = new Set<Promise<void>>();

function writeCheckpoint(message: CheckpointMessage): void {
  const done = writeCheckpointFile(message.path, message.checkpoint).then(
    () => port?.postMessage({ type: 'checkpointed', id: message.id, ok: true }),
    (error: unknown) => port?.postMessage({ type: 'checkpointed', id: message.id, ok: false, ...describe(error) }),
  );
  checkpointWrites.add(done);
  void done.finally(() => checkpointWrites.delete(done));
}

port.on('message', (message: CommitMessage | CheckpointMessage | { type: 'close' }) => {
  if (message.type === 'close') {
    db?.close();
    db = null;
    void Promise.allSettled(checkpointWrites).then(() => port.close());
    return;
  }
  if (message.type === 'checkpoint') {
    writeCheckpoint(message);
    return;
  }
  if (writer === null) {
    port.postMessage({ type: 'result', id: message.id, ok: false, ...describe(openError ?? new Error('audit writer is closed')) });
    return;
  }
  try {
    const wait = Math.max(0, Math.trunc(message.waitMs));
    if (wait !== busyTimeout) {
      db?.exec(`PRAGMA busy_timeout = ${wait}`);
      busyTimeout = wait;
    }
    port.postMessage({ type: 'result', id: message.id, ok: true, result: writer.commit(unpackWires(message.events), message.ms) });
  } catch (error) {
    port.postMessage({ type: 'result', id: message.id, ok: false, ...describe(error) });
  }
});
