/**
 * Two `airlock serve` processes on one PostgreSQL + Redis, clients alternating between them
 * over HTTP (as behind a load balancer):
 * - one approval is consumed exactly once: 1,000 trials, each approval's token raced by 8
 *   consumers spread over both processes;
 * - a kill switch engaged through A refuses on B within 1 s (the measured propagation is printed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { FleetSetup, ReplicaProcess } from '../support/fleet.ts';
import { call, fleetSetup, startReplicaProcess, stopReplica } from '../support/fleet.ts';

const TRIALS = Number(process.env.AIRLOCK_FLEET_TRIALS ?? 1000);
const CONSUMERS = 8;
type Json = Record<string, unknown>;

let setup: FleetSetup;
let a: ReplicaProcess;
let b: ReplicaProcess;
let sam: string;
before(async () => {
  setup = await fleetSetup();
  [a, b] = await Promise.all([startReplicaProcess(setup), startReplicaProcess(setup)]);
  sam = await setup.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
});
after(async () => {
  await Promise.all([stopReplica(a), stopReplica(b)]);
  await setup.drop();
});

test(`one approval is consumed exactly once: ${TRIALS} trials x ${CONSUMERS} consumers over two processes`, async () => {
  const session = (await call(a.url, 'POST', '/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, sam)).body.session_id as string;
  // An email outside the company needs a support lead's approval; unlike a refund it has no
  // balance to run out of in each process's own demo desk.
  const lead = await setup.token({ sub: 'lee', tenant: 'acme', roles: ['support-lead'] });
  const body = (trial: number, extra: Json = {}) => ({
    session_id: session,
    tool: 'email.send',
    arguments: { to: 'partner@example.org', subject: `Trial ${trial}`, body: 'The numbers you asked for.' },
    ...extra,
  });
  const executedBy = { a: 0, b: 0 };
  const refusals = new Map<string, number>();
  for (let trial = 0; trial < TRIALS; trial++) {
    const [first, second] = trial % 2 === 0 ? [a, b] : [b, a];
    const held = await call(first.url, 'POST', '/v1/tool-calls', body(trial), sam);
    assert.equal(held.status, 202, `trial ${trial}: ${JSON.stringify(held.body)}`);
    const id = held.body.approval_id as string;
    const approved = await call(second.url, 'POST', `/v1/approvals/${id}/approve`, { justification: 'the partner is expecting it' }, lead);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const token = (await call(first.url, 'GET', `/v1/approvals/${id}`, undefined, sam)).body.approval_token as string;
    const results = await Promise.all(
      Array.from({ length: CONSUMERS }, (_, i) => {
        const target = (i + trial) % 2 === 0 ? a : b;
        return call(target.url, 'POST', '/v1/tool-calls', body(trial, { approval_token: token }), sam).then((r) => ({ r, on: target === a ? 'a' : 'b' }));
      }),
    );
    const executed = results.filter(({ r }) => r.status === 200 && r.body.status === 'executed');
    assert.equal(executed.length, 1, `trial ${trial}: ${JSON.stringify(results.map(({ r }) => [r.status, (r.body.decision as Json | undefined)?.code]))}`);
    executedBy[(executed[0] as { on: 'a' | 'b' }).on]++;
    for (const { r } of results) {
      if (r.status === 200) continue;
      const code = String((r.body.decision as Json | undefined)?.code ?? r.status);
      refusals.set(code, (refusals.get(code) ?? 0) + 1);
    }
  }
  assert.deepEqual([...refusals.keys()], ['approval.consumed'], `refusals: ${JSON.stringify([...refusals])}`);
  assert.ok(executedBy.a > 0 && executedBy.b > 0, `the winners were spread over both processes (${JSON.stringify(executedBy)})`);
  const auditor = await setup.token({ sub: 'aud', tenant: 'acme', roles: ['auditor'] });
  const verified = await call(b.url, 'POST', '/v1/audit/verify', {}, auditor);
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.ok, true, JSON.stringify(verified.body));
  process.stdout.write(`# ${TRIALS} approvals x ${CONSUMERS} racing uses over 2 processes: ${TRIALS} executions (${executedBy.a} on A, ${executedBy.b} on B), ${TRIALS * (CONSUMERS - 1)} refused approval.consumed\n`);
});

test('a kill switch engaged through process A refuses on process B within 1 s', async () => {
  const admin = await setup.token({ sub: 'sec', tenant: 'acme', roles: ['security-admin'] });
  const session = (await call(a.url, 'POST', '/v1/sessions', { attributes: { customer_id: 'cus_acme_grace' } }, sam)).body.session_id as string;
  const decide = (url: string) => call(url, 'POST', '/v1/decide', { session_id: session, tool: 'email.send', arguments: { to: 'team@acme.example', subject: 'Weekly', body: 'Numbers.' } }, sam);
  assert.equal((await decide(b.url)).body.outcome, 'allow');
  const started = performance.now();
  const engaged = await call(a.url, 'POST', '/v1/admin/kill-switches', { scope: 'tool', target: 'email.send', justification: 'outbound mail is being abused' }, admin);
  assert.equal(engaged.status, 201, JSON.stringify(engaged.body));
  let onB = await decide(b.url);
  while (onB.body.outcome !== 'deny' && performance.now() - started < 5_000) onB = await decide(b.url);
  const propagation = performance.now() - started;
  assert.equal(onB.body.outcome, 'deny');
  assert.equal((onB.body.decision as Json).code, 'screen.kill_switch');
  assert.equal((onB.body.decision as Json).kill_switch_id, (engaged.body.kill_switch as Json).id);
  assert.ok(propagation <= 1000, `refused on B ${Math.round(propagation)} ms after the engage was sent`);
  process.stdout.write(`# kill switch propagation between processes: ${Math.round(propagation)} ms (engage request sent -> first refusal on B)\n`);
  const released = await call(b.url, 'POST', `/v1/admin/kill-switches/${String((engaged.body.kill_switch as Json).id)}/release`, { justification: 'abuse stopped' }, admin);
  assert.equal(released.status, 200, JSON.stringify(released.body));
});
