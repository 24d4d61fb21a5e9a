/**
 * Audit search paging: the bounded scan window (a call never examines more than
 * SEARCH_SCAN_WINDOW seqs, and a short or empty page still hands on a cursor), the scoped
 * search (never another tenant's or, for a user scope, another user's events), and a property:
 * paging through any query, in either order and with any limit, yields exactly the log's
 * matching events once each, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AuditEventInput } from '../core/types.ts';
import { MemoryAuditStore } from './memory-store.ts';
import { SEARCH_SCAN_WINDOW, matchesSearch, normalizeSearch, planSearch, searchScoped } from './search.ts';
import type { AuditSearchQuery } from './search.ts';
import { sampleEventInput, searchAll } from './store.contract.ts';

const TENANTS = ['acme', 'globex'];
const USERS = ['alice', 'bob'];
const TOOLS = ['crm.get', 'pay.send'];
const OUTCOMES = ['allow', 'deny', 'approval_required'];
const RULES = ['r1', 'r2', 'r3'];

function input(tenant: string, user: string, tool: string, outcome: string, rules: string[]): AuditEventInput {
  return sampleEventInput({
    actor: { tenant, user, roles: [], agent: null },
    tool,
    decision: { outcome, reasons: rules.map((policy_id) => ({ policy_id })) },
  });
}

describe('audit search', () => {
  it('examines at most SEARCH_SCAN_WINDOW seqs per call, handing on a cursor from short pages', async () => {
    const store = new MemoryAuditStore();
    const total = SEARCH_SCAN_WINDOW + 50;
    const filler = Array.from({ length: total }, (_, i) => input('acme', 'alice', 'crm.get', 'allow', i === 10 || i === total - 3 ? ['rare'] : []));
    for (let i = 0; i < filler.length; i += 5000) await store.append(filler.slice(i, i + 5000));
    const first = await store.search({ rule: 'rare' });
    assert.deepEqual(first.events.map((e) => e.seq), [11]);
    assert.equal(first.nextAfterSeq, SEARCH_SCAN_WINDOW, 'the window ended before the log did');
    const second = await store.search({ rule: 'rare', afterSeq: first.nextAfterSeq as number });
    assert.deepEqual(second.events.map((e) => e.seq), [total - 2]);
    assert.equal(second.nextAfterSeq, null);
    const newest = await store.search({ rule: 'rare', order: 'newest' });
    assert.deepEqual(newest.events.map((e) => e.seq), [total - 2]);
    assert.equal(newest.nextAfterSeq, total - SEARCH_SCAN_WINDOW + 1);
    const rest = await store.search({ rule: 'rare', order: 'newest', afterSeq: newest.nextAfterSeq as number });
    assert.deepEqual(rest, { events: (await store.read({ fromSeq: 11, limit: 1 })), nextAfterSeq: null });
    assert.deepEqual(planSearch(normalizeSearch({}), 0), null);
    assert.deepEqual(planSearch(normalizeSearch({ order: 'newest' }), 5), { lo: 1, hi: 5, descending: true });
  });

  it('a scoped search never returns another tenant or (user scope) another user', async () => {
    const store = new MemoryAuditStore();
    await store.append([
      input('acme', 'alice', 'crm.get', 'allow', ['r1']),
      input('globex', 'alice', 'crm.get', 'allow', ['r1']),
      input('acme', 'bob', 'crm.get', 'deny', ['r2']),
    ]);
    const seqs = async (query: AuditSearchQuery, scope: { tenant: string; user?: string }) =>
      (await searchScoped(store, query, scope)).events.map((e) => e.seq);
    assert.deepEqual(await seqs({}, { tenant: 'acme' }), [1, 3]);
    assert.deepEqual(await seqs({ tenant: 'globex' }, { tenant: 'acme' }), []);
    assert.deepEqual(await seqs({}, { tenant: 'acme', user: 'alice' }), [1]);
    assert.deepEqual(await seqs({ user: 'bob' }, { tenant: 'acme', user: 'alice' }), []);
    assert.deepEqual(await seqs({ user: 'bob' }, { tenant: 'acme' }), [3]);
    await assert.rejects(searchScoped(store, { limit: 0 }, { tenant: 'acme' }), { code: 'ERR_AUDIT_SEARCH_INVALID' });
  });

  it('property: paging through any query yields exactly the matching events, once each, in order', async () => {
    const eventArb = fc.record({
      tenant: fc.constantFrom(...TENANTS),
      user: fc.constantFrom(...USERS),
      tool: fc.constantFrom(...TOOLS),
      outcome: fc.constantFrom(...OUTCOMES),
      rules: fc.subarray(RULES),
    });
    const queryArb = fc.record(
      {
        tenant: fc.constantFrom(...TENANTS),
        user: fc.constantFrom(...USERS),
        tool: fc.constantFrom(...TOOLS),
        outcome: fc.constantFrom(...OUTCOMES),
        rule: fc.constantFrom(...RULES),
        limit: fc.integer({ min: 1, max: 7 }),
        order: fc.constantFrom('oldest' as const, 'newest' as const),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 40 }), queryArb, async (events, query) => {
        const store = new MemoryAuditStore();
        if (events.length > 0) await store.append(events.map((e) => input(e.tenant, e.user, e.tool, e.outcome, e.rules)));
        const all = await store.read();
        const q = normalizeSearch(query);
        const expected = all.filter((e) => matchesSearch(e, q));
        // The matching rule itself, spelt out independently.
        const spelt = all.filter((e, i) => {
          const src = events[i];
          return (
            src !== undefined &&
            (query.tenant === undefined || src.tenant === query.tenant) &&
            (query.user === undefined || src.user === query.user) &&
            (query.tool === undefined || src.tool === query.tool) &&
            (query.outcome === undefined || src.outcome === query.outcome) &&
            (query.rule === undefined || src.rules.includes(query.rule)) &&
            e.seq === i + 1
          );
        });
        assert.deepEqual(expected, spelt);
        const paged = await searchAll(store, query);
        assert.deepEqual(paged, query.order === 'newest' ? [...expected].reverse() : expected);
      }),
      { numRuns: 150 },
    );
  });
});
