/**
 * One rate-limit budget for the whole fleet: with the limiter on the fleet's Redis, two
 * replicas answering concurrent calls of one tool admit exactly `max` of them per window,
 * however the calls are spread over the replicas. Windows are logical: every replica reads
 * one injected clock, advanced a window at a time once the window's calls have all answered.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import type { Gateway } from '../../src/pipeline/index.ts';
import type { Fleet } from '../support/fleet.ts';
import { startFleet } from '../support/fleet.ts';

const WINDOWS = 30;
const WINDOW_SECONDS = 1;
const MAX = 5;
/** Calls per window: well over the budget, so each window has something to refuse. */
const CALLS = 13;

// Started at the real time so the tokens (minted against the system clock) stay valid.
const clock = new ManualClock(Date.now());
let fleet: Fleet;
let sam: string;
before(async () => {
  fleet = await startFleet(2, { limitsYaml: `  per_tool: { window_seconds: ${WINDOW_SECONDS}, max: ${MAX} }`, gateway: { clock } });
  sam = await fleet.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
});
after(() => fleet.close());

test(`a per-tool limit of ${MAX} per ${WINDOW_SECONDS} s admits exactly ${MAX} calls in each of ${WINDOWS} windows over two replicas`, async () => {
  const [a, b] = fleet.replicas as [Gateway, Gateway];
  const session = (await a.createSession(sam, { customer_id: 'cus_acme_grace' })).session_id;
  const refusals = new Map<string, number>();
  for (let window = 0; window < WINDOWS; window++) {
    const sentBefore = fleet.desk.outbox.length;
    const results = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        (i % 2 === 0 ? a : b).execute({
          token: sam,
          session_id: session,
          tool: 'email.send',
          arguments: { to: 'team@acme.example', subject: `window ${window}`, body: `call ${i}` },
        }),
      ),
    );
    const admitted = results.filter((r) => r.status === 'executed');
    assert.equal(admitted.length, MAX, `window ${window}: ${admitted.length} admitted: ${JSON.stringify(results.map((r) => r.decision.code))}`);
    assert.equal(fleet.desk.outbox.length - sentBefore, MAX, `window ${window}: one side effect per admitted call`);
    // Both replicas admit: the budget is shared, not split.
    for (const r of results.filter((x) => x.status !== 'executed')) {
      assert.equal(r.status, 'denied', JSON.stringify(r));
      refusals.set(r.decision.code, (refusals.get(r.decision.code) ?? 0) + 1);
    }
    clock.advance(WINDOW_SECONDS * 1000);
  }
  assert.deepEqual([...refusals.entries()], [['limit.rate', WINDOWS * (CALLS - MAX)]]);
  assert.equal(fleet.desk.outbox.length, WINDOWS * MAX);
  process.stdout.write(`# ${WINDOWS} windows x ${CALLS} concurrent calls over 2 replicas: ${MAX} admitted per window\n`);
});

test('the budget is one: calls on one replica use up what the other may admit in the same window', async () => {
  const [a, b] = fleet.replicas as [Gateway, Gateway];
  clock.advance(WINDOW_SECONDS * 1000);
  const session = (await a.createSession(sam, { customer_id: 'cus_acme_grace' })).session_id;
  const send = (g: Gateway, i: number) =>
    g.execute({ token: sam, session_id: session, tool: 'email.send', arguments: { to: 'team@acme.example', subject: 'one budget', body: `call ${i}` } });
  for (let i = 0; i < MAX; i++) assert.equal((await send(a, i)).status, 'executed');
  const refused = await send(b, MAX);
  assert.equal(refused.status, 'denied');
  assert.equal(refused.decision.code, 'limit.rate');
  clock.advance(WINDOW_SECONDS * 1000);
  assert.equal((await send(b, MAX + 1)).status, 'executed', 'a new window admits again');
});
