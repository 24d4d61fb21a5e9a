/**
 * The AuditStore contract, as a test suite every adapter runs (memory, SQLite, and later
 * PostgreSQL): ordering and contiguity under concurrent appends, chaining, reads, lookups,
 * head, input validation, snapshots, close semantics and (for durable adapters) persistence
 * across close/reopen. Call runAuditStoreContract(name, makeStore) from the adapter's test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import type { AuditStore } from './types.ts';
import { GENESIS_HASH, hashEvent, verifyChain } from './chain.ts';
import { readAll } from './read-all.ts';
import type { AuditSearchQuery } from './search.ts';
import { runPruneContract } from './retention/prune.contract.ts';

export interface AuditStoreHarness {
  store: AuditStore;
  /** Closes `store` and opens a new store over the same storage (durable adapters only). */
  reopen?: () => Promise<AuditStore>;
  /** Releases what the harness created (files, schemas). */
  dispose?: () => Promise<void>;
}

export type MakeAuditStore = () => Promise<AuditStore | AuditStoreHarness> | AuditStore | AuditStoreHarness;

let counter = 0;

/** A realistic event input; ids are unique per call unless overridden. */
export function sampleEventInput(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  counter++;
  return {
    type: 'decision',
    request_id: `req_contract${counter}`,
    trace_id: `trc_contract${counter}`,
    session_id: null,
    action_id: `act_contract${counter}`,
    parent_action_id: null,
    actor: { user: 'alice', tenant: 'acme', roles: ['analyst'], agent: 'agent-7' },
    tool: 'crm.getCustomer',
    args_hash: `sha256:${'ab'.repeat(32)}`,
    args_summary: { customer_id: 'c-1', fields: 3 },
    decision: { outcome: 'allow', code: 'policy.permit', reasons: [{ policy_id: 'read-own-tenant', effect: 'permit' }] },
    phase_timings: { identify: 12, authorize: 140 },
    ...overrides,
  };
}

async function harness(make: MakeAuditStore): Promise<AuditStoreHarness> {
  const made = await make();
  return 'append' in made ? { store: made } : made;
}

async function withStore(make: MakeAuditStore, body: (h: AuditStoreHarness) => Promise<void>): Promise<void> {
  const h = await harness(make);
  try {
    await body(h);
  } finally {
    await h.store.close().catch(() => undefined);
    await h.dispose?.();
  }
}

async function assertCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, code);
    return true;
  });
}

function stripStoreFields(event: AuditEvent): Record<string, unknown> {
  const { seq: _s, event_id: _e, ts: _t, prev_hash: _p, hash: _h, ...rest } = event;
  return rest;
}

async function assertVerifies(store: AuditStore, count: number): Promise<void> {
  const result = await verifyChain(readAll(store, { pageSize: 7 }));
  assert.equal(result.ok, true, JSON.stringify(result.firstBad));
  assert.equal(result.checked, count);
  assert.deepEqual(await store.head(), result.head);
}

/** Every event matching `query`, paging through the store's search until the cursor runs out. */
export async function searchAll(store: AuditStore, query: AuditSearchQuery): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let afterSeq: number | undefined = query.afterSeq;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.search({ ...query, ...(afterSeq === undefined ? {} : { afterSeq }) });
    out.push(...page.events);
    if (page.nextAfterSeq === null) return out;
    afterSeq = page.nextAfterSeq;
  }
  throw new Error('search did not terminate');
}

/** A mixed log for the search cases: tenants, users, agents, tools, types, outcomes and rules. */
function searchFixture(): AuditEventInput[] {
  const decision = (outcome: string, ...rules: string[]) => ({
    outcome,
    code: `policy.${outcome}`,
    reasons: rules.map((policy_id) => ({ policy_id, effect: outcome === 'allow' ? 'permit' : 'forbid' })),
  });
  const actor = (tenant: string, user: string, agent: string | null) => ({ tenant, user, roles: ['analyst'], agent });
  return [
    sampleEventInput({ actor: actor('acme', 'alice', 'agent-1'), tool: 'crm.get', decision: decision('allow', 'read-own') }),
    sampleEventInput({ actor: actor('acme', 'bob', 'agent-2'), tool: 'crm.delete', decision: decision('deny', 'no-delete', 'read-own') }),
    sampleEventInput({ type: 'result', actor: actor('acme', 'alice', 'agent-1'), tool: 'crm.get', decision: undefined, result_code: 'ok' }),
    sampleEventInput({ actor: actor('globex', 'alice', 'agent-1'), tool: 'crm.get', decision: decision('deny', 'no-delete') }),
    sampleEventInput({ actor: actor('acme', 'carol', null), tool: 'pay.send', decision: decision('approval_required', 'big-payment') }),
    sampleEventInput({ actor: actor('acme', 'alice', 'agent-1'), tool: 'crm.get', decision: decision('allow'), data: { note: 'nul\u0000inside' } }),
    sampleEventInput({ type: 'approval.approved', actor: actor('acme', 'dave', null), tool: undefined, decision: undefined, refs: ['apr_s1'] }),
    sampleEventInput({ actor: actor('globex', 'erin', 'agent-9'), tool: 'pay.send', decision: { outcome: 'deny', reasons: 'not-a-list' } }),
  ];
}

export function runAuditStoreContract(name: string, makeStore: MakeAuditStore): void {
  describe(`AuditStore contract: ${name}`, () => {
    it('starts empty', async () => {
      await withStore(makeStore, async ({ store }) => {
        assert.equal(await store.head(), null);
        assert.deepEqual(await store.read(), []);
        assert.deepEqual(await store.findRelated('req_nothing'), []);
      });
    });

    it('seals appended events into a chain starting at genesis', async () => {
      await withStore(makeStore, async ({ store }) => {
        const inputs = [sampleEventInput(), sampleEventInput({ type: 'intent' }), sampleEventInput({ type: 'result', result_code: 'ok' })];
        const events = await store.append(inputs);
        assert.deepEqual(
          events.map((e) => e.seq),
          [1, 2, 3],
        );
        assert.equal(events[0]?.prev_hash, GENESIS_HASH);
        events.forEach((event, i) => {
          assert.deepEqual(stripStoreFields(event), inputs[i]);
          assert.match(event.event_id, /^evt_/);
          assert.ok(!Number.isNaN(Date.parse(event.ts)));
          assert.equal(event.hash, hashEvent(event.prev_hash, event));
          if (i > 0) assert.equal(event.prev_hash, events[i - 1]?.hash);
        });
        assert.deepEqual(await store.read(), events);
        assert.deepEqual(await store.head(), { seq: 3, hash: events[2]?.hash });
        await assertVerifies(store, 3);
      });
    });

    it('keeps each append contiguous and in order under concurrent appends', async () => {
      await withStore(makeStore, async ({ store }) => {
        const appends = Array.from({ length: 60 }, (_, i) =>
          Array.from({ length: 1 + (i % 4) }, (_, j) => sampleEventInput({ data: { producer: i, index: j } })),
        );
        const results = await Promise.all(appends.map((events) => store.append(events)));
        const total = appends.reduce((n, a) => n + a.length, 0);
        const seqs = results.flat().map((e) => e.seq);
        assert.deepEqual(
          [...seqs].sort((a, b) => a - b),
          Array.from({ length: total }, (_, i) => i + 1),
        );
        results.forEach((events, i) => {
          assert.equal(events.length, appends[i]?.length);
          events.forEach((event, j) => {
            assert.deepEqual(event.data, { producer: i, index: j });
            if (j > 0) assert.equal(event.seq, (events[j - 1]?.seq ?? 0) + 1, 'events of one append are contiguous');
          });
        });
        const stored = await store.read();
        assert.deepEqual(stored, [...results.flat()].sort((a, b) => a.seq - b.seq));
        await assertVerifies(store, total);
      });
    });

    it('continues the chain across sequential appends and reads pages', async () => {
      await withStore(makeStore, async ({ store }) => {
        for (let i = 0; i < 25; i++) await store.append([sampleEventInput({ data: { i } })]);
        const page = await store.read({ fromSeq: 10, limit: 5 });
        assert.deepEqual(
          page.map((e) => e.seq),
          [10, 11, 12, 13, 14],
        );
        assert.deepEqual(
          (await store.read({ fromSeq: 24 })).map((e) => e.seq),
          [24, 25],
        );
        assert.deepEqual(await store.read({ fromSeq: 26 }), []);
        assert.deepEqual(await store.read({ limit: 0 }), []);
        const all: AuditEvent[] = [];
        for await (const event of readAll(store, { pageSize: 4 })) all.push(event);
        assert.deepEqual(all, await store.read());
        await assertVerifies(store, 25);
      });
    });

    it('appending nothing resolves empty and changes nothing', async () => {
      await withStore(makeStore, async ({ store }) => {
        await store.append([sampleEventInput()]);
        const head = await store.head();
        assert.deepEqual(await store.append([]), []);
        assert.deepEqual(await store.head(), head);
      });
    });

    it('finds related events by every lineage id', async () => {
      await withStore(makeStore, async ({ store }) => {
        const base = { request_id: 'req_rel1', trace_id: 'trc_rel1', session_id: 'ses_rel1' };
        const [parentDecision, parentResult] = await store.append([
          sampleEventInput({ ...base, action_id: 'act_parent', type: 'decision' }),
          sampleEventInput({ ...base, action_id: 'act_parent', type: 'result' }),
        ]);
        await store.append([sampleEventInput()]); // unrelated
        const [child] = await store.append([
          sampleEventInput({ request_id: 'req_rel2', trace_id: 'trc_rel1', session_id: 'ses_rel1', action_id: 'act_child', parent_action_id: 'act_parent' }),
        ]);
        const [other] = await store.append([sampleEventInput({ request_id: 'req_rel3', trace_id: 'trc_rel3', session_id: 'ses_rel1' })]);
        const seqs = async (id: string) => (await store.findRelated(id)).map((e) => e.seq);
        assert.deepEqual(await seqs('req_rel1'), [parentDecision?.seq, parentResult?.seq]);
        assert.deepEqual(await seqs('act_parent'), [parentDecision?.seq, parentResult?.seq, child?.seq]);
        assert.deepEqual(await seqs('act_child'), [child?.seq]);
        assert.deepEqual(await seqs('trc_rel1'), [parentDecision?.seq, parentResult?.seq, child?.seq]);
        assert.deepEqual(await seqs('ses_rel1'), [parentDecision?.seq, parentResult?.seq, child?.seq, other?.seq]);
        assert.deepEqual(await seqs(child?.event_id ?? ''), [child?.seq]);
        assert.deepEqual(await seqs('req_absent'), []);
        assert.deepEqual((await store.findRelated('req_rel1'))[0], parentDecision);
      });
    });

    it('finds events by the ids their refs record, and the refs are part of the hashed body', async () => {
      await withStore(makeStore, async ({ store }) => {
        const [decision] = await store.append([sampleEventInput({ refs: ['dec_ref1', 'jti_ref1'] })]);
        await store.append([sampleEventInput()]); // unrelated
        const [approval] = await store.append([sampleEventInput({ type: 'approval.approved', action_id: null, refs: ['apr_ref1', 'dec_ref1'] })]);
        const seqs = async (id: string) => (await store.findRelated(id)).map((e) => e.seq);
        assert.deepEqual(await seqs('dec_ref1'), [decision?.seq, approval?.seq]);
        assert.deepEqual(await seqs('jti_ref1'), [decision?.seq]);
        assert.deepEqual(await seqs('apr_ref1'), [approval?.seq]);
        assert.deepEqual(await seqs('apr_absent'), []);
        assert.deepEqual((await store.findRelated('jti_ref1'))[0], decision);
        assert.deepEqual(decision?.refs, ['dec_ref1', 'jti_ref1']);
        // Changing a ref changes the hash: refs are covered by the chain.
        const { hash: _hash, ...body } = decision as AuditEvent;
        assert.equal(hashEvent(body.prev_hash, body), decision?.hash);
        assert.notEqual(hashEvent(body.prev_hash, { ...body, refs: ['dec_other', 'jti_ref1'] }), decision?.hash);
        await assertVerifies(store, 3);
      });
    });

    it('refuses refs that are not distinct non-empty strings', async () => {
      await withStore(makeStore, async ({ store }) => {
        await assertCode(store.append([sampleEventInput({ refs: ['apr_1', 'apr_1'] })]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([sampleEventInput({ refs: [''] })]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([sampleEventInput({ refs: 'apr_1' as unknown as string[] })]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([sampleEventInput({ refs: Array.from({ length: 33 }, (_, i) => `r_${i}`) })]), 'ERR_AUDIT_INVALID_EVENT');
        assert.equal(await store.head(), null);
      });
    });

    it('refuses invalid events without disturbing other appends', async () => {
      await withStore(makeStore, async ({ store }) => {
        const good = store.append([sampleEventInput()]);
        await assertCode(store.append([sampleEventInput({ data: { n: Number.NaN } })]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([{ ...sampleEventInput(), request_id: '' }]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([{ ...sampleEventInput(), seq: 7 } as AuditEventInput]), 'ERR_AUDIT_INVALID_EVENT');
        await assertCode(store.append([{ ...sampleEventInput(), actor: null } as unknown as AuditEventInput]), 'ERR_AUDIT_INVALID_EVENT');
        // One bad event refuses its whole append.
        await assertCode(store.append([sampleEventInput(), sampleEventInput({ data: { f: undefined } as never })]), 'ERR_AUDIT_INVALID_EVENT');
        assert.equal((await good).length, 1);
        assert.equal((await store.head())?.seq, 1);
        await assertVerifies(store, 1);
      });
    });

    it('drops unset optional fields and fixes what is stored at append time', async () => {
      await withStore(makeStore, async ({ store }) => {
        const input = sampleEventInput({ tool: undefined, data: { note: 'before' } });
        const pending = store.append([input]);
        (input.data as { note: string }).note = 'after';
        input.request_id = 'req_mutated';
        const [event] = await pending;
        assert.ok(event !== undefined);
        assert.equal('tool' in event, false);
        assert.notEqual(event.request_id, 'req_mutated', 'the returned event is a copy of the top level');
        const [stored] = await store.read();
        assert.deepEqual(stored?.data, { note: 'before' });
        assert.notEqual(stored?.request_id, 'req_mutated');
        (stored?.data as { note: string }).note = 'changed by reader';
        assert.deepEqual((await store.read())[0]?.data, { note: 'before' });
        await assertVerifies(store, 1);
      });
    });

    it('search: an empty log answers an empty last page', async () => {
      await withStore(makeStore, async ({ store }) => {
        assert.deepEqual(await store.search({}), { events: [], nextAfterSeq: null });
        assert.deepEqual(await store.search({ order: 'newest', tenant: 'acme' }), { events: [], nextAfterSeq: null });
      });
    });

    it('search: each filter, alone and combined, returns exactly the matching events as stored', async () => {
      await withStore(makeStore, async ({ store }) => {
        const half = searchFixture();
        await store.append(half.slice(0, 4));
        await store.append(half.slice(4));
        const all = await store.read();
        const seqs = async (query: AuditSearchQuery) => (await searchAll(store, query)).map((e) => e.seq);
        assert.deepEqual(await searchAll(store, {}), all, 'no filter: the whole log, as read() returns it');
        assert.deepEqual(await seqs({ tenant: 'acme' }), [1, 2, 3, 5, 6, 7]);
        assert.deepEqual(await seqs({ tenant: 'globex' }), [4, 8]);
        assert.deepEqual(await seqs({ tenant: 'initech' }), []);
        assert.deepEqual(await seqs({ user: 'alice' }), [1, 3, 4, 6]);
        assert.deepEqual(await seqs({ tenant: 'acme', user: 'alice' }), [1, 3, 6]);
        assert.deepEqual(await seqs({ agent: 'agent-1' }), [1, 3, 4, 6]);
        assert.deepEqual(await seqs({ tool: 'crm.get' }), [1, 3, 4, 6]);
        assert.deepEqual(await seqs({ tool: 'pay.send', tenant: 'acme' }), [5]);
        assert.deepEqual(await seqs({ type: 'result' }), [3]);
        assert.deepEqual(await seqs({ type: 'approval.approved' }), [7]);
        assert.deepEqual(await seqs({ outcome: 'deny' }), [2, 4, 8]);
        assert.deepEqual(await seqs({ outcome: 'allow' }), [1, 6]);
        assert.deepEqual(await seqs({ outcome: 'approval_required' }), [5]);
        assert.deepEqual(await seqs({ rule: 'read-own' }), [1, 2]);
        assert.deepEqual(await seqs({ rule: 'no-delete' }), [2, 4]);
        assert.deepEqual(await seqs({ rule: 'no-delete', tenant: 'acme' }), [2]);
        assert.deepEqual(await seqs({ rule: 'not-a-list' }), []);
        assert.deepEqual(await seqs({ rule: 'absent' }), []);
        assert.deepEqual(await seqs({ tenant: 'acme', tool: 'crm.get', outcome: 'allow', user: 'alice', agent: 'agent-1' }), [1, 6]);
        const [found] = await searchAll(store, { tenant: 'acme', outcome: 'allow', afterSeq: 5 });
        assert.deepEqual(found, all[5], 'an event whose body holds a \\u0000 escape is found like any other');
        await assertVerifies(store, 8);
      });
    });

    it('search: the time range is from-inclusive, to-exclusive on the stored ts', async () => {
      await withStore(makeStore, async ({ store }) => {
        for (let i = 0; i < 6; i++) await store.append([sampleEventInput({ data: { i } })]);
        const all = await store.read();
        for (const pivot of all) {
          const expectFrom = all.filter((e) => e.ts >= pivot.ts).map((e) => e.seq);
          const expectTo = all.filter((e) => e.ts < pivot.ts).map((e) => e.seq);
          assert.deepEqual((await searchAll(store, { from: pivot.ts })).map((e) => e.seq), expectFrom);
          assert.deepEqual((await searchAll(store, { to: pivot.ts })).map((e) => e.seq), expectTo);
          assert.deepEqual((await searchAll(store, { from: pivot.ts, to: pivot.ts })).map((e) => e.seq), []);
        }
        assert.deepEqual(await searchAll(store, { from: '1970-01-01T00:00:00Z', to: '9999-01-01T00:00:00Z' }), all);
        assert.deepEqual(await searchAll(store, { from: '9999-01-01' }), []);
      });
    });

    it('search: pages by seq cursor, oldest or newest first, with no event twice or missed', async () => {
      await withStore(makeStore, async ({ store }) => {
        for (let i = 0; i < 4; i++) await store.append(searchFixture());
        const all = await store.read();
        const acme = all.filter((e) => e.actor.tenant === 'acme');
        for (const limit of [1, 2, 5, 1000]) {
          assert.deepEqual(await searchAll(store, { tenant: 'acme', limit }), acme);
          assert.deepEqual(await searchAll(store, { tenant: 'acme', limit, order: 'newest' }), [...acme].reverse());
        }
        const first = await store.search({ limit: 3 });
        assert.deepEqual(first.events.map((e) => e.seq), [1, 2, 3]);
        assert.equal(first.nextAfterSeq, 3);
        const second = await store.search({ limit: 3, afterSeq: 3 });
        assert.deepEqual(second.events.map((e) => e.seq), [4, 5, 6]);
        const newest = await store.search({ limit: 2, order: 'newest' });
        assert.deepEqual(newest.events.map((e) => e.seq), [32, 31]);
        assert.equal(newest.nextAfterSeq, 31);
        assert.deepEqual((await store.search({ limit: 2, order: 'newest', afterSeq: 31 })).events.map((e) => e.seq), [30, 29]);
        const last = await store.search({ afterSeq: 30 });
        assert.deepEqual(last, { events: all.slice(30), nextAfterSeq: null });
        assert.deepEqual(await store.search({ afterSeq: 32 }), { events: [], nextAfterSeq: null });
        assert.deepEqual(await store.search({ order: 'newest', afterSeq: 1 }), { events: [], nextAfterSeq: null });
      });
    });

    it('search: refuses bad limits, cursors, outcomes and times', async () => {
      await withStore(makeStore, async ({ store }) => {
        await store.append([sampleEventInput()]);
        for (const query of [
          { limit: 0 },
          { limit: 1001 },
          { limit: 2.5 },
          { afterSeq: -1 },
          { outcome: 'maybe' },
          { from: 'yesterday' },
          { to: '2026-13-45' },
          { order: 'sideways' as 'oldest' },
        ]) {
          await assertCode(store.search(query), 'ERR_AUDIT_SEARCH_INVALID');
        }
        assert.equal((await store.search({ limit: 1000 })).events.length, 1);
      });
    });

    it('close commits pending appends, then refuses new ones', async () => {
      const h = await harness(makeStore);
      try {
        const pending = h.store.append([sampleEventInput(), sampleEventInput()]);
        await h.store.close();
        assert.equal((await pending).length, 2);
        await assertCode(h.store.append([sampleEventInput()]), 'ERR_AUDIT_UNAVAILABLE');
      } finally {
        await h.dispose?.();
      }
    });

    it('keeps committed events across close and reopen', async (t) => {
      const h = await harness(makeStore);
      if (h.reopen === undefined) {
        await h.store.close();
        await h.dispose?.();
        t.skip('adapter is not durable');
        return;
      }
      let reopened: AuditStore | null = null;
      try {
        const first = await Promise.all([h.store.append([sampleEventInput()]), h.store.append([sampleEventInput(), sampleEventInput()])]);
        reopened = await h.reopen();
        assert.deepEqual(await reopened.read(), first.flat().sort((a, b) => a.seq - b.seq));
        const [next] = await reopened.append([sampleEventInput()]);
        assert.equal(next?.seq, 4);
        assert.equal(next?.prev_hash, first.flat().find((e) => e.seq === 3)?.hash);
        await assertVerifies(reopened, 4);
      } finally {
        await reopened?.close();
        await h.store.close().catch(() => undefined);
        await h.dispose?.();
      }
    });

    runPruneContract(() => harness(makeStore), sampleEventInput);
  });
}
