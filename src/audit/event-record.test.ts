/**
 * Event records: a prepared input sealed member by member gives exactly the canonical JSON of
 * the whole event (whatever its keys), time-ordered event ids, and decoding refuses any row
 * whose body is not canonical or disagrees with its columns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize, sha256Hex } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import { isWellFormedId } from '../core/ids.ts';
import type { AuditEventInput } from '../core/types.ts';
import { GENESIS_HASH, hashEvent } from './chain.ts';
import { newEventIds } from './event-ids.ts';
import { decodeStoredEvent, packWires, prepareInput, sealEvent, unpackWires } from './event-record.ts';
import { sampleEventInput } from './store.contract.ts';

const meta = { seq: 7, eventId: 'evt_0000000000abcdefghijklmnopqrstuv', ts: '2026-01-01T00:00:00.000Z', prevHash: GENESIS_HASH };

describe('sealing', () => {
  it('the body is the canonical JSON of the whole event, for any extra keys', () => {
    const extraKey = fc.string({ unit: 'grapheme', maxLength: 10 }).filter((k) => !['seq', 'event_id', 'ts', 'prev_hash', 'hash', '__proto__'].includes(k));
    fc.assert(
      fc.property(fc.dictionary(extraKey, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>, { maxKeys: 8 }), (extra) => {
        const input = { ...extra, ...sampleEventInput() } as AuditEventInput;
        const { event, record } = sealEvent(prepareInput(input), meta);
        const { hash, ...unsigned } = event;
        assert.equal(record.body, canonicalize(unsigned));
        assert.equal(hash, `sha256:${sha256Hex(record.body)}`);
        assert.equal(hash, hashEvent(meta.prevHash, event));
        // The returned event shares the caller's values (a -0 stays -0 there); as JSON it is the stored one.
        assert.equal(canonicalize(decodeStoredEvent(record)), canonicalize(event));
      }),
      { numRuns: 300 },
    );
  });

  it('names the offending field of an input JSON cannot hold', () => {
    assert.throws(() => prepareInput(sampleEventInput({ data: { when: new Date(0) } as never })), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'ERR_AUDIT_INVALID_EVENT');
      assert.match(error.message, /"data"/);
      return true;
    });
  });

  it('refuses a pruned mark and the reserved audit.pruned type on an ordinary append (only a prune writes them)', () => {
    const refused = (input: unknown, message: RegExp) =>
      assert.throws(() => prepareInput(input as never), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_AUDIT_INVALID_EVENT');
        assert.match(error.message, message);
        return true;
      });
    refused({ ...sampleEventInput(), pruned: { by: 9, classes: ['arguments'] } }, /must not set pruned/);
    refused(sampleEventInput({ type: 'audit.pruned' }), /reserved for prune records/);
    assert.throws(() => prepareInput(sampleEventInput(), { pruneRecord: true }), /must have type audit.pruned/);
    assert.equal(prepareInput(sampleEventInput({ type: 'audit.pruned' }), { pruneRecord: true }).wire.type, 'audit.pruned');
  });
});

describe('packed wire events', () => {
  it('round-trip through one string, whatever the text holds', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map((t) => `${t}\u0000\u0001"\\`);
    fc.assert(
      fc.property(fc.array(fc.record({ request_id: text, trace_id: text, session_id: fc.option(text, { nil: null }), tool: text }), { maxLength: 6 }), (rows) => {
        const wires = rows.map((row) => prepareInput(sampleEventInput(row)).wire);
        assert.deepEqual(unpackWires(packWires(wires)), wires);
      }),
      { numRuns: 200 },
    );
  });
});

describe('event ids', () => {
  it('are well-formed, unique, and sort by time', () => {
    const early = newEventIds(50, Date.UTC(2026, 0, 1));
    const late = newEventIds(50, Date.UTC(2026, 0, 1) + 1);
    for (const id of [...early, ...late]) assert.ok(isWellFormedId(id, 'evt'), id);
    assert.equal(new Set([...early, ...late]).size, 100);
    for (const a of early) for (const b of late) assert.ok(a < b);
    assert.ok(newEventIds(1, Date.UTC(2100, 0, 1))[0]! > late[0]!);
  });
});

describe('decoding', () => {
  const { record } = sealEvent(prepareInput(sampleEventInput()), meta);

  it('round-trips a stored record', () => {
    assert.equal(decodeStoredEvent(record).seq, 7);
  });

  it('refuses bodies that are not canonical, not JSON, or disagree with a column', () => {
    const bad = [
      { ...record, body: record.body.replace(':', ': ') },
      { ...record, body: record.body.slice(0, -1) },
      { ...record, body: '[]' },
      { ...record, type: 'other' },
      { ...record, action_id: null },
      { ...record, body: record.body.replace('{', '{"hash":"x",') },
    ];
    for (const r of bad) {
      assert.throws(() => decodeStoredEvent(r), (error: Error & { code?: string; details?: { seq?: unknown } }) => {
        assert.equal(error.code, 'ERR_AUDIT_CORRUPT');
        assert.equal(error.details?.seq, 7);
        return true;
      });
    }
  });
});
