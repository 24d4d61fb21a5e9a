/**
 * Property tests of the chain over generated logs (1-30 events, >= 200 runs each): every
 * single-byte change to a stored body, every deletion (the last one via the checkpoint),
 * every swap of two events and every inserted forged event is reported, at the right first
 * bad seq. Logs are stored records (body + columns + hash) decoded the way stores read them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalize, sha256Hex } from '../core/canonical.ts';
import type { JsonValue } from '../core/canonical.ts';
import type { AuditEvent, AuditEventInput } from '../core/types.ts';
import { GENESIS_HASH, verifyChain } from './chain.ts';
import type { ChainVerification } from './chain.ts';
import { signCheckpoint } from './checkpoint.ts';
import type { Checkpoint } from './checkpoint.ts';
import { decodeStoredEvent, prepareInput, sealEvent } from './event-record.ts';
import type { StoredEventRecord } from './event-record.ts';

const RUNS = { numRuns: 200 };
const key = new Uint8Array(32).fill(3);

const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
const nullableText = fc.option(text, { nil: null });

const inputArb: fc.Arbitrary<AuditEventInput> = fc.record({
  type: fc.constantFrom('decision', 'intent', 'result', 'request.denied', 'approval.requested'),
  request_id: text,
  trace_id: text,
  session_id: nullableText,
  action_id: nullableText,
  parent_action_id: nullableText,
  actor: fc.record({ user: nullableText, tenant: nullableText, roles: fc.array(text, { maxLength: 3 }), agent: nullableText }),
  tool: nullableText,
  result_code: nullableText,
  data: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
});

interface Log {
  records: StoredEventRecord[];
  checkpoint: Checkpoint;
}

const TS = '2026-01-01T00:00:00.000Z';

function sealAfter(input: AuditEventInput, seq: number, prevHash: string, tag = ''): StoredEventRecord {
  return sealEvent(prepareInput(input), { seq, eventId: `evt_${tag}${seq}xxxxxxxx`, ts: TS, prevHash }).record;
}

function buildLog(inputs: AuditEventInput[]): Log {
  const records: StoredEventRecord[] = [];
  let prev = GENESIS_HASH;
  inputs.forEach((input, i) => {
    const record = sealAfter(input, i + 1, prev);
    records.push(record);
    prev = record.hash;
  });
  const last = records[records.length - 1] as StoredEventRecord;
  return { records, checkpoint: signCheckpoint({ seq: last.seq, hash: last.hash, ts: TS }, key) };
}

const logArb = fc.array(inputArb, { minLength: 1, maxLength: 30 }).map(buildLog);

/** Reads stored records the way a store does: decode each, throwing at a corrupt one. */
function* decoded(records: readonly StoredEventRecord[]): Generator<AuditEvent> {
  for (const record of records) yield decodeStoredEvent(record);
}

function verify(records: readonly StoredEventRecord[], checkpoint: Checkpoint): Promise<ChainVerification> {
  return verifyChain(decoded(records), { checkpoint, checkpointKey: key });
}

function assertBadAt(result: ChainVerification, seq: number): void {
  assert.equal(result.ok, false, 'tampering went unnoticed');
  assert.equal(result.firstBad?.seq, seq, JSON.stringify(result.firstBad));
}

describe('audit chain properties', () => {
  it('an untouched log verifies, with and without its checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async ({ records, checkpoint }) => {
        const withCheckpoint = await verify(records, checkpoint);
        assert.equal(withCheckpoint.ok, true, JSON.stringify(withCheckpoint.firstBad));
        assert.equal(withCheckpoint.checked, records.length);
        assert.equal(withCheckpoint.unattested, 0);
        assert.equal((await verifyChain(decoded(records))).ok, true);
      }),
      RUNS,
    );
  });

  it('any single-byte change to a stored body is reported at that event', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (log, at, offset, mask) => {
        const k = at % log.records.length;
        const original = log.records[k] as StoredEventRecord;
        const bytes = Buffer.from(original.body, 'utf8');
        const pos = offset % bytes.length;
        bytes[pos] = (bytes[pos] as number) ^ mask;
        const body = bytes.toString('utf8');
        fc.pre(body !== original.body);
        const records = log.records.map((r, i) => (i === k ? { ...r, body } : r));
        assertBadAt(await verify(records, log.checkpoint), k + 1);
      }),
      RUNS,
    );
  });

  it('any non-canonical rewrite of a body that parses to the same event is reported at that event', async () => {
    const rewrites: Record<string, (body: string) => string> = {
      whitespace: (body) => body.replace(':', ': '),
      key_order: (body) => {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        return JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse()));
      },
      escaped_char: (body) => body.replace(/"type":"(.)/, (_m, c: string) => `"type":"\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      exponent: (body) => body.replace(/"seq":(\d+)/, (_m, d: string) => `"seq":${d}E0`),
    };
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.constantFrom(...Object.keys(rewrites)), async (log, at, name) => {
        const k = at % log.records.length;
        const original = log.records[k] as StoredEventRecord;
        const body = (rewrites[name] as (b: string) => string)(original.body);
        assert.deepEqual(JSON.parse(body), JSON.parse(original.body), `${name} must keep the value`);
        fc.pre(body !== original.body);
        const records = log.records.map((r, i) => (i === k ? { ...r, body } : r));
        assertBadAt(await verify(records, log.checkpoint), k + 1);
      }),
      RUNS,
    );
  });

  it('any change to a stored lookup column or hash is reported at that event', async () => {
    const columns = ['event_id', 'ts', 'type', 'request_id', 'action_id', 'parent_action_id', 'session_id', 'trace_id', 'prev_hash', 'hash'] as const;
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.constantFrom(...columns), async (log, at, column) => {
        const k = at % log.records.length;
        const original = log.records[k] as StoredEventRecord;
        const changed = column === 'hash' ? `sha256:${sha256Hex(original.hash)}` : `${original[column] ?? ''}x`;
        const records = log.records.map((r, i) => (i === k ? { ...r, [column]: changed } : r));
        assertBadAt(await verify(records, log.checkpoint), k + 1);
      }),
      RUNS,
    );
  });

  it('any deleted event is reported at its seq (the last one through the checkpoint)', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), async (log, at) => {
        const k = at % log.records.length;
        const records = log.records.filter((_, i) => i !== k);
        const result = await verify(records, log.checkpoint);
        assertBadAt(result, k + 1);
        assert.equal(result.firstBad?.reason, k === log.records.length - 1 ? 'truncated' : 'seq_gap');
      }),
      RUNS,
    );
  });

  it('any swap of two events is reported at the earlier position', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), fc.nat(), async (log, a, b) => {
        const n = log.records.length;
        fc.pre(n >= 2 && a % n !== b % n);
        const i = Math.min(a % n, b % n);
        const j = Math.max(a % n, b % n);
        const records = [...log.records];
        [records[i], records[j]] = [records[j] as StoredEventRecord, records[i] as StoredEventRecord];
        assertBadAt(await verify(records, log.checkpoint), i + 1);
      }),
      RUNS,
    );
  });

  it('any forged event inserted before an existing one is reported where it sits', async () => {
    const forgery = fc.oneof(
      fc.record({ kind: fc.constant('chained' as const), input: inputArb }),
      fc.record({ kind: fc.constant('bad_hash' as const), input: inputArb }),
      fc.record({ kind: fc.constant('replay' as const), of: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), forgery, async (log, at, forged) => {
        const n = log.records.length;
        const p = at % n; // inserted before the record with seq p + 1
        const prevHash = p === 0 ? GENESIS_HASH : (log.records[p - 1] as StoredEventRecord).hash;
        let record: StoredEventRecord;
        let expected = p + 1;
        if (forged.kind === 'replay') {
          const m = forged.of % n;
          record = log.records[m] as StoredEventRecord;
          // A copy of the event just before the insertion point is the same log as that copy
          // inserted one slot earlier: the fork is at that event's seq.
          if (m + 1 === p) expected = p;
        } else {
          record = sealAfter(forged.input, p + 1, prevHash, 'forged');
          if (forged.kind === 'bad_hash') record = { ...record, hash: `sha256:${sha256Hex(record.body + 'x')}` };
        }
        const records = [...log.records.slice(0, p), record, ...log.records.slice(p)];
        assertBadAt(await verify(records, log.checkpoint), expected);
      }),
      RUNS,
    );
  });

  it('a suffix rewritten with recomputed hashes is caught by the checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), inputArb, async (log, at, replacement) => {
        const n = log.records.length;
        const p = at % n;
        const records = log.records.slice(0, p);
        let prev = p === 0 ? GENESIS_HASH : (records[p - 1] as StoredEventRecord).hash;
        for (let i = p; i < n; i++) {
          const original = JSON.parse((log.records[i] as StoredEventRecord).body) as Record<string, unknown>;
          const forged = i === p ? { ...(replacement as unknown as Record<string, unknown>) } : original;
          delete forged.seq;
          delete forged.event_id;
          delete forged.ts;
          delete forged.prev_hash;
          const record = sealAfter(forged as unknown as AuditEventInput, i + 1, prev, 'rw');
          records.push(record);
          prev = record.hash;
        }
        const result = await verify(records, log.checkpoint);
        assert.equal((await verifyChain(decoded(records))).ok, true, 'a consistent rewrite chains');
        assertBadAt(result, n);
        assert.equal(result.firstBad?.reason, 'checkpoint_mismatch');
      }),
      RUNS,
    );
  });

  it('a checkpoint that is not signed with the key is refused', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, fc.nat(), async (log, bump) => {
        const forged = { ...log.checkpoint, seq: log.checkpoint.seq + 1 + (bump % 5) };
        const result = await verify(log.records, forged);
        assert.equal(result.ok, false);
        assert.equal(result.firstBad?.reason, 'checkpoint_mismatch');
      }),
      { numRuns: 50 },
    );
  });

  it('canonical bodies are what gets hashed', () => {
    fc.assert(
      fc.property(logArb, ({ records }) => {
        for (const r of records) {
          assert.equal(canonicalize(JSON.parse(r.body)), r.body);
          assert.equal(r.hash, `sha256:${sha256Hex(r.body)}`);
        }
      }),
      { numRuns: 50 },
    );
  });
});
