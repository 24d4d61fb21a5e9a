/**
 * Two replicas on one PostgreSQL: an approval granted through one replica is consumed exactly
 * once however many callers race to use its token through both, and the audit log both write
 * verifies end to end as one chain.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Fleet } from '../support/fleet.ts';
import { startFleet } from '../support/fleet.ts';

const TRIALS = Number(process.env.AIRLOCK_FLEET_TRIALS ?? 1000);
const CONSUMERS = 8;

let fleet: Fleet;
let sam: string;
let fin: string;
before(async () => {
  fleet = await startFleet(2);
  sam = await fleet.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
  fin = await fleet.token({ sub: 'fin', tenant: 'acme', roles: ['finance-lead'] });
});
after(() => fleet.close());

test(`one approval is consumed exactly once: ${TRIALS} trials x ${CONSUMERS} consumers over both replicas`, async () => {
  const [a, b] = fleet.replicas as [Fleet['replicas'][0], Fleet['replicas'][0]];
  const session = (await a.createSession(sam, { customer_id: 'cus_acme_grace' })).session_id;
  const refunds = () => fleet.desk.refunds.length;
  let executed = 0;
  const codes = new Map<string, number>();
  for (let trial = 0; trial < TRIALS; trial++) {
    const amount = 200 + (trial % 500);
    const request = { token: sam, session_id: session, tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount } };
    // The demo refunds only what was paid: keep the balance ahead of the trials' refunds.
    (fleet.desk.customers.get('cus_acme_grace') as { paid_total: number }).paid_total += amount;
    // Held on one replica, approved on the other, its token fetched from the first.
    const held = await (trial % 2 === 0 ? a : b).execute(request);
    assert.equal(held.status, 'approval_required', JSON.stringify(held));
    const id = held.approval_id as string;
    await (trial % 2 === 0 ? b : a).decideApproval(fin, id, 'approve', 'checked against the ledger');
    const token = (await a.getApproval(sam, id)).approval_token as string;
    const before = refunds();
    const results = await Promise.all(
      Array.from({ length: CONSUMERS }, (_, i) => ((i + trial) % 2 === 0 ? a : b).execute({ ...request, approval_token: token })),
    );
    const ok = results.filter((r) => r.status === 'executed');
    assert.equal(ok.length, 1, `trial ${trial}: ${ok.length} executions of one approval (${JSON.stringify(results.map((r) => [r.status, r.decision.code, r.decision.reasons.map((x) => x.reason)]))})`);
    assert.equal(refunds() - before, 1, `trial ${trial}: exactly one side effect`);
    executed += ok.length;
    for (const r of results.filter((x) => x.status !== 'executed')) {
      const code = String((r.decision as { code?: string } | undefined)?.code ?? r.status);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
  }
  assert.equal(executed, TRIALS);
  assert.deepEqual([...codes.keys()].sort(), ['approval.consumed'], `refusals: ${JSON.stringify([...codes])}`);
  const verified = await b.verifyAudit();
  assert.equal(verified.ok, true, JSON.stringify(verified.firstBad));
  process.stdout.write(`# ${TRIALS} approvals, ${TRIALS * CONSUMERS} racing uses over 2 replicas: ${executed} executions; audit chain of ${verified.checked} events verifies\n`);
});
