/**
 * hashEvent and verifyChain: the hash covers every field, genesis, sync and async sources,
 * anchors, checkpoint edge cases, corrupt rows, source faults, and stopping early.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalize, sha256Hex } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import { GENESIS_HASH, hashEvent, verifyChain, verifyChainSync } from './chain.ts';
import { signCheckpoint } from './checkpoint.ts';
import { MemoryAuditStore } from './memory-store.ts';
import { sampleEventInput } from './store.contract.ts';

const key = new Uint8Array(32).fill(1);

async function chainOf(n: number): Promise<AuditEvent[]> {
  const store = new MemoryAuditStore();
  for (let i = 0; i < n; i++) await store.append([sampleEventInput({ data: { i } })]);
  return store.read();
}

describe('hashEvent', () => {
  it('is sha256 over the canonical event without its hash, prev_hash included', async () => {
    const [event] = await chainOf(1);
    assert.ok(event !== undefined);
    assert.equal(GENESIS_HASH, `sha256:${'0'.repeat(64)}`);
    assert.equal(event.prev_hash, GENESIS_HASH);
    const { hash, ...rest } = event;
    assert.equal(hash, `sha256:${sha256Hex(canonicalize(rest))}`);
    assert.equal(hashEvent(GENESIS_HASH, event), hash, 'a hash field on the input is ignored');
    assert.notEqual(hashEvent(`sha256:${'1'.repeat(64)}`, event), hash);
  });

  it('changes when any covered field changes', async () => {
    const [event] = await chainOf(1);
    assert.ok(event !== undefined);
    const base = hashEvent(event.prev_hash, event);
    for (const change of [{ seq: 2 }, { ts: '2020-01-01T00:00:00.000Z' }, { event_id: 'evt_other' }, { type: 'result' }, { actor: { ...event.actor, roles: [] } }]) {
      assert.notEqual(hashEvent(event.prev_hash, { ...event, ...change }), base, JSON.stringify(change));
    }
  });
});

describe('verifyChain', () => {
  it('accepts arrays and async iterables, and an empty log', async () => {
    const events = await chainOf(4);
    assert.deepEqual(await verifyChain(events), { ok: true, checked: 4, head: { seq: 4, hash: events[3]?.hash } });
    async function* gen() {
      yield* events;
    }
    assert.equal((await verifyChain(gen())).checked, 4);
    assert.deepEqual(await verifyChain([]), { ok: true, checked: 0, head: null });
    assert.deepEqual(verifyChainSync(events), await verifyChain(events));
  });

  it('verifies a suffix from an anchor', async () => {
    const events = await chainOf(6);
    const anchor = { seq: 3, hash: events[2]?.hash ?? '' };
    assert.equal((await verifyChain(events.slice(3), { anchor })).checked, 3);
    const wrong = await verifyChain(events.slice(3), { anchor: { seq: 3, hash: events[1]?.hash ?? '' } });
    assert.deepEqual([wrong.ok, wrong.firstBad?.seq, wrong.firstBad?.reason], [false, 4, 'prev_mismatch']);
  });

  it('reports malformed events where they sit', async () => {
    const events = await chainOf(3);
    const broken = [events[0], { ...events[1], seq: '2' }, events[2]] as AuditEvent[];
    const result = await verifyChain(broken);
    assert.deepEqual([result.ok, result.checked, result.firstBad?.seq, result.firstBad?.reason], [false, 1, 2, 'malformed']);
    assert.deepEqual(result.head, { seq: 1, hash: events[0]?.hash });
    const unhashable = [events[0], { ...events[1], data: { x: undefined } }] as AuditEvent[];
    assert.equal((await verifyChain(unhashable)).firstBad?.reason, 'malformed');
  });

  it('reports a corrupt row from the source as malformed at its seq, and rethrows other faults', async () => {
    const events = await chainOf(3);
    function* corruptAt2() {
      yield events[0] as AuditEvent;
      throw new AirlockError('ERR_AUDIT_CORRUPT', 'audit row 2 body is not json', { details: { seq: 2 } });
    }
    const result = await verifyChain(corruptAt2());
    assert.deepEqual([result.ok, result.firstBad?.seq, result.firstBad?.reason], [false, 2, 'malformed']);
    function* corruptAfterGap() {
      yield events[0] as AuditEvent;
      throw new AirlockError('ERR_AUDIT_CORRUPT', 'audit row 5 body is not json', { details: { seq: 5 } });
    }
    assert.deepEqual((await verifyChain(corruptAfterGap())).firstBad?.reason, 'seq_gap');
    function* failing(): Generator<AuditEvent> {
      yield events[0] as AuditEvent;
      throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'disk gone');
    }
    await assert.rejects(verifyChain(failing()), { code: 'ERR_AUDIT_UNAVAILABLE' });
  });

  it('stops reading the source at the first fault', async () => {
    const events = await chainOf(5);
    const tampered = events.map((e) => (e.seq === 2 ? { ...e, type: 'forged' } : e));
    let pulled = 0;
    let closed = false;
    async function* source() {
      try {
        for (const e of tampered) {
          pulled++;
          yield e;
        }
      } finally {
        closed = true;
      }
    }
    const result = await verifyChain(source());
    assert.deepEqual([result.firstBad?.seq, result.firstBad?.reason], [2, 'hash_mismatch']);
    assert.equal(pulled, 2);
    assert.equal(closed, true);
  });

  it('checks checkpoints: genesis, signature, attested hash, tail beyond it', async () => {
    const events = await chainOf(4);
    const ts = '2026-01-01T00:00:00.000Z';
    const genesis = signCheckpoint({ seq: 0, hash: GENESIS_HASH, ts }, key);
    assert.deepEqual(await verifyChain(events, { checkpoint: genesis, checkpointKey: key }), {
      ok: true,
      checked: 4,
      head: { seq: 4, hash: events[3]?.hash },
      unattested: 4,
    });
    const badGenesis = signCheckpoint({ seq: 0, hash: events[0]?.hash ?? '', ts }, key);
    assert.equal((await verifyChain(events, { checkpoint: badGenesis })).firstBad?.reason, 'checkpoint_mismatch');
    const atTwo = signCheckpoint({ seq: 2, hash: events[1]?.hash ?? '', ts }, key);
    assert.equal((await verifyChain(events, { checkpoint: atTwo, checkpointKey: key })).unattested, 2);
    const otherKey = await verifyChain(events, { checkpoint: atTwo, checkpointKey: new Uint8Array(32).fill(2) });
    assert.deepEqual([otherKey.ok, otherKey.firstBad?.reason, otherKey.checked], [false, 'checkpoint_mismatch', 0]);
    const wrongHash = signCheckpoint({ seq: 2, hash: events[2]?.hash ?? '', ts }, key);
    const mismatch = await verifyChain(events, { checkpoint: wrongHash, checkpointKey: key });
    assert.deepEqual([mismatch.firstBad?.seq, mismatch.firstBad?.reason], [2, 'checkpoint_mismatch']);
    const beyond = signCheckpoint({ seq: 6, hash: events[3]?.hash ?? '', ts }, key);
    const truncated = await verifyChain(events, { checkpoint: beyond, checkpointKey: key });
    assert.deepEqual([truncated.firstBad?.seq, truncated.firstBad?.reason], [5, 'truncated']);
    const empty = await verifyChain([], { checkpoint: atTwo, checkpointKey: key });
    assert.deepEqual([empty.firstBad?.seq, empty.firstBad?.reason], [1, 'truncated']);
  });
});

describe('verifyChain with heads expected from outside the host', () => {
  it('the log must hold every expected head and must not end before it', async () => {
    const events = await chainOf(4);
    const at = (seq: number) => ({ seq, hash: (events[seq - 1] as AuditEvent).hash });
    assert.equal((await verifyChain(events, { expect: [at(2), at(4)] })).ok, true);
    assert.equal((await verifyChain(events, { expect: [{ seq: 0, hash: GENESIS_HASH }] })).ok, true);
    assert.equal((await verifyChain([], { expect: [{ seq: 0, hash: GENESIS_HASH }] })).ok, true, 'a new log, said to be new');

    const cut = await verifyChain(events.slice(0, 2), { expect: [at(4)] });
    assert.deepEqual([cut.ok, cut.firstBad?.reason, cut.firstBad?.seq], [false, 'truncated', 3]);
    const wiped = await verifyChain([], { expect: [at(3)] });
    assert.deepEqual([wiped.ok, wiped.firstBad?.reason], [false, 'truncated']);
    const other = await chainOf(4); // another log of the same length
    const replaced = await verifyChain(other, { expect: [at(3)] });
    assert.deepEqual([replaced.ok, replaced.firstBad?.reason, replaced.firstBad?.seq], [false, 'checkpoint_mismatch', 3]);
    const badGenesis = await verifyChain(events, { expect: [{ seq: 0, hash: `sha256:${'1'.repeat(64)}` }] });
    assert.equal(badGenesis.firstBad?.reason, 'checkpoint_mismatch');
    // With the signed checkpoint too: an old checkpoint beside a cut-back log passes alone, not with the expected head.
    const old = signCheckpoint({ ...at(2), ts: new Date().toISOString() }, key);
    assert.equal((await verifyChain(events.slice(0, 2), { checkpoint: old, checkpointKey: key })).ok, true);
    assert.equal((await verifyChain(events.slice(0, 2), { checkpoint: old, checkpointKey: key, expect: [at(4)] })).firstBad?.reason, 'truncated');
  });
});
