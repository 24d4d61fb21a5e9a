/**
 * Interleavings of the workflow over the memory store, explored with fast-check's scheduler:
 * every store call is a scheduling point, so reads and compare-and-sets of concurrent
 * callers interleave in every order fast-check picks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isAirlockError } from '../core/errors.ts';
import type { ApprovalStore } from './types.ts';
import { MemoryApprovalStore } from './memory-store.ts';
import { makeService, pendingRequest, principal, requester, reviewer } from './test-helpers.ts';

function scheduled(s: fc.Scheduler, inner: ApprovalStore): ApprovalStore {
  return {
    create: s.scheduleFunction(inner.create.bind(inner)),
    get: s.scheduleFunction(inner.get.bind(inner)),
    list: s.scheduleFunction(inner.list.bind(inner)),
    transition: s.scheduleFunction(inner.transition.bind(inner)),
  };
}

function outcome(r: PromiseSettledResult<unknown>): string {
  return r.status === 'fulfilled' ? 'ok' : isAirlockError(r.reason) ? r.reason.code : String(r.reason);
}

test('under any interleaving of 2..8 consumers exactly one consumes; the others see a replay', async () => {
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 8 }), async (s, consumers) => {
      const inner = new MemoryApprovalStore();
      const request = pendingRequest();
      await inner.create(request);
      const setup = makeService(inner);
      await setup.service.approve(reviewer, request.id, 'ok');
      const token = await setup.service.fetchToken(requester, request.id);

      const { service, events } = makeService(scheduled(s, inner), setup.clock);
      const all = Promise.allSettled(
        Array.from({ length: consumers }, () => service.consume(token, { actionHash: request.action_hash, principal: requester, session: request.session_id })),
      );
      const outcomes = (await s.waitFor(all)).map(outcome);
      assert.equal(outcomes.filter((o) => o === 'ok').length, 1, outcomes.join(','));
      assert.ok(outcomes.every((o) => o === 'ok' || o === 'ERR_APPROVAL_CONSUMED'), outcomes.join(','));
      assert.equal(events.filter((e) => e.type === 'approval.consumed').length, 1);
      assert.equal(events.filter((e) => e.type === 'approval.replay_attempted').length, consumers - 1);
      assert.equal((await inner.get(request.id))?.state, 'consumed');
    }),
    { numRuns: 300 },
  );
});

test('under any interleaving of racing reviewers and an expiry, exactly one outcome sticks', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.scheduler(),
      fc.array(fc.constantFrom('approve', 'deny'), { minLength: 1, maxLength: 5 }),
      fc.boolean(),
      async (s, decisions, expireMidway) => {
        const inner = new MemoryApprovalStore();
        const request = pendingRequest();
        await inner.create(request);
        const { service, events, clock } = makeService(scheduled(s, inner));
        const reviewers = decisions.map((_, i) => principal({ user: `rev${i}`, roles: ['finance-lead'] }));
        const all = Promise.allSettled(
          decisions.map((d, i) => {
            const who = reviewers[i] ?? reviewer;
            return d === 'approve' ? service.approve(who, request.id, 'ok') : service.deny(who, request.id, 'no');
          }),
        );
        if (expireMidway) {
          await s.waitOne();
          clock.set(request.expires_at);
        }
        const outcomes = (await s.waitFor(all)).map(outcome);
        const final = await inner.get(request.id);
        const wins = outcomes.filter((o) => o === 'ok').length;
        const stateEvents = events.filter((e) => e.type !== 'approval.replay_attempted');
        assert.equal(stateEvents.length, 1, JSON.stringify(events.map((e) => e.type)));
        if (final?.state === 'expired') {
          assert.equal(wins, 0, outcomes.join(','));
          assert.equal(stateEvents[0]?.type, 'approval.expired');
        } else {
          assert.equal(wins, 1, outcomes.join(','));
          const winner = decisions[outcomes.indexOf('ok')];
          assert.equal(final?.state, winner === 'approve' ? 'approved' : 'denied');
          assert.equal(stateEvents[0]?.type, winner === 'approve' ? 'approval.approved' : 'approval.denied');
        }
        assert.ok(
          outcomes.every((o) => ['ok', 'ERR_APPROVAL_NOT_PENDING', 'ERR_APPROVAL_EXPIRED'].includes(o)),
          outcomes.join(','),
        );
      },
    ),
    { numRuns: 300 },
  );
});
