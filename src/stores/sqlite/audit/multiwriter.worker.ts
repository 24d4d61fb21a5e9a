/**
 * Worker for sqlite-multiwriter.test.ts: opens its own SqliteAuditStore on the shared file
 * and, once every writer is ready (a shared-memory barrier), appends `rounds` appends of 1-3
 * events each, with several in flight at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AuditEventInput } from '../../../core/types.ts';
import { SqliteAuditStore } from './store.ts';

const { path, writer, rounds, barrier, writers } = workerData as {
  path: string;
  writer: string;
  rounds: number;
  barrier: SharedArrayBuffer;
  writers: number;
};

function input(i: number, j: number): AuditEventInput {
  return {
    type: 'decision',
    request_id: `req_${writer}_${i}`,
    trace_id: `trc_${writer}_${i}`,
    session_id: null,
    action_id: `act_${writer}_${i}`,
    parent_action_id: null,
    actor: { user: writer, tenant: 'acme', roles: [], agent: null },
    data: { writer, i, j },
  };
}

const store = SqliteAuditStore.open(path, { lockTimeoutMs: 10_000 });
const ready = new Int32Array(barrier);
Atomics.add(ready, 0, 1);
Atomics.notify(ready, 0);
for (let seen = Atomics.load(ready, 0); seen < writers; seen = Atomics.load(ready, 0)) Atomics.wait(ready, 0, seen, 1000);
const work: Promise<unknown>[] = [];
let events = 0;
for (let i = 0; i < rounds; i++) {
  const size = 1 + (i % 3);
  events += size;
  work.push(store.append(Array.from({ length: size }, (_, j) => input(i, j))));
  if (work.length >= 8) await Promise.all(work.splice(0));
}
await Promise.all(work);
await store.close();
parentPort?.postMessage({ writer, events });
