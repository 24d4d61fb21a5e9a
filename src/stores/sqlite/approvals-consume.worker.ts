/**
 * Worker for the cross-connection consumption test: opens its own SQLite connection to the
 * state database, waits at a shared barrier, then tries to consume the token it was given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ManualClock } from '../../core/clock.ts';
import { isAirlockError } from '../../core/errors.ts';
import { openDurableSqlite } from './open.ts';
import type { Principal } from '../../core/types.ts';
import { ApprovalService } from '../../approvals/service.ts';
import { SqliteApprovalStore } from './approvals.ts';

interface Setup {
  path: string;
  key: Uint8Array;
  now: number;
  /** Int32Array over a SharedArrayBuffer: [0] is the number of the trial allowed to run. */
  gate: SharedArrayBuffer;
}
interface Trial {
  trial: number;
  token: string;
  actionHash: string;
  principal: Principal;
  session: string | null;
}

const setup = workerData as Setup;
const gate = new Int32Array(setup.gate);
const db = openDurableSqlite(setup.path, { area: 'STATE' });
const service = new ApprovalService({ store: new SqliteApprovalStore(db), clock: new ManualClock(setup.now), signingKey: setup.key });
const port = parentPort;
if (port === null) throw new Error('approvals-consume.worker.ts must run in a worker thread');

port.on('message', (message: Trial | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  port.postMessage({ ready: message.trial });
  while (Atomics.load(gate, 0) < message.trial) Atomics.wait(gate, 0, message.trial - 1, 1000);
  service.consume(message.token, { actionHash: message.actionHash, principal: message.principal, session: message.session }).then(
    () => port.postMessage({ trial: message.trial, outcome: 'ok' }),
    (error: unknown) => port.postMessage({ trial: message.trial, outcome: isAirlockError(error) ? error.code : String(error) }),
  );
});
