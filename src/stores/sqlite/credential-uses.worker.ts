/**
 * Worker for the cross-thread one-time use test: opens its own connection to the SQLite
 * file, waits at a shared barrier, then uses every jti it was given and reports which it
 * was accepted for and which refusal codes it saw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isAirlockError } from '../../core/errors.ts';
import { openDurableSqlite } from './open.ts';
import { SqliteCredentialUseStore } from './credential-uses.ts';

const { path, jtis, gate } = workerData as { path: string; jtis: string[]; gate: SharedArrayBuffer };
const store = new SqliteCredentialUseStore(openDurableSqlite(path, { area: 'STATE' }));
const barrier = new Int32Array(gate);
parentPort?.postMessage({ ready: true });
Atomics.wait(barrier, 0, 0);
const accepted: string[] = [];
const refusals: Record<string, number> = {};
for (const jti of jtis) {
  try {
    await store.use(jti, 2_000_000_000, 1_000_000_000);
    accepted.push(jti);
  } catch (error) {
    const code = isAirlockError(error) ? error.code : 'unexpected';
    refusals[code] = (refusals[code] ?? 0) + 1;
  }
}
parentPort?.postMessage({ accepted, refusals });
