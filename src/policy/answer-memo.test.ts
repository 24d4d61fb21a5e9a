/**
 * The answer memo: Cedar's answer is reused only for an identical evaluation input. With
 * and without the memo, every decision of a random request stream is the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CedarPolicyEngine } from './engine.ts';
import { fakeRequest, fakeTool } from './testing.ts';

const refund = fakeTool('billing.refund', 'irreversible', {
  type: 'object',
  required: ['customer_id', 'amount'],
  properties: { customer_id: { type: 'string' }, amount: { type: 'number' } },
});

const bundle = {
  files: {
    'refund.cedar': `
@id("staff-refund") permit (principal, action == Airlock::Action::"billing.refund", resource) when { principal.roles.contains("support") };
@id("big-refund") @approval("finance-lead") @check("parameters")
forbid (principal, action == Airlock::Action::"billing.refund", resource) when { context.tool_call.parameters.amount.greaterThan(decimal("100.0")) };
@id("night") forbid (principal, action, resource) when { context.environment.hour_utc < 6 };
@id("overflow") forbid (principal, action == Airlock::Action::"billing.refund", resource) when { principal.roles.contains("intern") && context.tool_call.affected_count + 9223372036854775807 > 0 };
`,
  },
};

const engine = (answerCacheSize?: number) =>
  CedarPolicyEngine.create({ tools: [refund], sessionAttributes: {}, bundle, ...(answerCacheSize === undefined ? {} : { answerCacheSize }) });

test('an identical request is answered from the memo; any changed input is evaluated again', () => {
  const e = engine();
  const request = (amount: number, roles = ['support'], hour = 10) =>
    fakeRequest(refund, { arguments: { customer_id: 'cus_1', amount }, principal: { roles }, now: Date.UTC(2026, 0, 5, hour, 30) });
  assert.equal(e.authorize(request(50)).outcome, 'allow');
  assert.equal(e.authorize(request(50)).outcome, 'allow');
  assert.equal(e.stats().evaluated.answerHits, 1);
  assert.equal(e.authorize(request(500)).outcome, 'approval_required');
  assert.equal(e.authorize(request(50, ['support'], 3)).outcome, 'deny');
  assert.equal(e.authorize(request(50, ['support', 'intern'])).outcome, 'deny');
  assert.equal(e.authorize(request(50, ['support', 'intern'])).reasons[0]?.code, 'policy.eval_error', 'a memoized error still denies');
  assert.equal(e.authorize(request(50, ['analyst'])).outcome, 'deny');
  assert.equal(e.stats().evaluated.answerHits, 2);
});

test('a memoized answer never ignores taint or the session labels', () => {
  const send = fakeTool('email.send', 'external_send', { type: 'object', required: ['to'], properties: { to: { type: 'string' } } });
  const e = CedarPolicyEngine.create({
    tools: [send],
    sessionAttributes: {},
    bundle: {
      files: {
        'send.cedar': `
@id("send") permit (principal, action, resource);
@id("tainted-recipient") @approval("lead") forbid (principal, action, resource) when { context.taint.arguments.contains("to") };
@id("restricted") forbid (principal, action, resource) when { context.session.max_classification == "restricted" };`,
      },
    },
  });
  const request = (tainted: boolean, classification = 'public') => {
    const r = fakeRequest(send, { arguments: { to: 'eve@evil.example' } });
    if (tainted) r.taint = { arguments: ['to'], sources: ['cnt_1'] };
    r.session.labels = { untrustedSeen: tainted, lowestTrust: tainted ? 'external' : 'user', maxClassification: classification };
    return r;
  };
  assert.equal(e.authorize(request(false)).outcome, 'allow');
  assert.equal(e.authorize(request(true)).outcome, 'approval_required');
  assert.equal(e.authorize(request(false)).outcome, 'allow');
  assert.equal(e.authorize(request(false, 'restricted')).outcome, 'deny');
  assert.equal(e.authorize(request(true)).outcome, 'approval_required');
  assert.equal(e.stats().evaluated.answerHits, 2);
});

test('with and without the memo, random request streams get identical decisions', () => {
  const memo = engine(8);
  const plain = engine(0);
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          amount: fc.constantFrom(1, 50, 100, 100.5, 500),
          roles: fc.subarray(['support', 'intern', 'analyst']),
          hour: fc.constantFrom(3, 10),
          user: fc.constantFrom('sam', 'fin'),
          tenant: fc.constantFrom('acme', 'globex'),
        }),
        { maxLength: 30 },
      ),
      (stream) => {
        for (const r of stream) {
          const request = fakeRequest(refund, {
            arguments: { customer_id: 'cus_1', amount: r.amount },
            principal: { roles: r.roles, user: r.user, tenant: r.tenant },
            now: Date.UTC(2026, 0, 5, r.hour, 30),
          });
          assert.deepEqual(memo.authorize(request), plain.authorize(request));
        }
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(memo.stats().evaluated.answerHits > 0, 'the stream repeated requests, so the memo was used');
  assert.equal(plain.stats().evaluated.answerHits, 0);
});

test('a remembered answer cannot be changed through inspect()', () => {
  const e = engine();
  const request = fakeRequest(refund, { arguments: { customer_id: 'cus_1', amount: 500 }, principal: { roles: ['support'] } });
  assert.equal(e.authorize(request).outcome, 'approval_required');
  const seen = e.inspect(request);
  assert.ok(Object.isFrozen(seen.satisfied) && Object.isFrozen(seen.errors));
  // Dropping the approval forbid from the shared answer would let the next call through.
  assert.throws(() => (seen.satisfied as string[]).splice(seen.satisfied.indexOf('big-refund'), 1), TypeError);
  assert.equal(e.authorize(request).outcome, 'approval_required');
  assert.ok(e.stats().evaluated.answerHits >= 2);
});
