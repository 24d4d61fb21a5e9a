import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AuditEvent } from '../../core/types.ts';
import { canonicalEventLine } from '../search.ts';
import { frame, headerField, severityOf, syslogMessage, unframe } from './syslog.ts';

const header = { hostname: 'gw-1', appName: 'airlock', procId: '4242', version: '1.2.3' };

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    seq: 7,
    event_id: 'evt_1',
    ts: '2026-12-07T01:02:03.456Z',
    prev_hash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    type: 'tool_call.decision',
    request_id: 'req_1',
    trace_id: 'trc_1',
    action_id: 'act_1',
    actor: { user: 'sam', tenant: 'acme', roles: ['support'], issuer: 'dev' },
    decision: { outcome: 'deny', reasons: [{ policy_id: 'no-export' }] },
    ...overrides,
  } as AuditEvent;
}

// RFC 5424 §6: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
const RFC5424 = /^<(\d{1,3})>1 (\S+) ([\x21-\x7e]{1,255}) ([\x21-\x7e]{1,48}) ([\x21-\x7e]{1,128}) ([\x21-\x7e]{1,32}) (\[.*?\])+ \uFEFF(.*)$/s;

test('a message is RFC 5424: log-audit facility, severity by outcome, MSGID the event type, the canonical event line as MSG', () => {
  const message = syslogMessage(event(), header);
  const m = RFC5424.exec(message);
  assert.ok(m, message);
  assert.equal(Number(m[1]), 13 * 8 + 4, 'facility 13 (log audit), severity warning for a deny');
  assert.equal(m[2], '2026-12-07T01:02:03.456Z');
  assert.deepEqual([m[3], m[4], m[5], m[6]], ['gw-1', 'airlock', '4242', 'tool_call.decision']);
  assert.match(message, /\[origin software="airlock" swVersion="1\.2\.3"\]\[meta sequenceId="7"\]/);
  assert.equal(m[8], canonicalEventLine(event()), 'the MSG is what the chain hash covers');
  assert.equal(severityOf(event({ decision: { outcome: 'allow' } } as Partial<AuditEvent>)), 5);
  assert.equal(severityOf(event({ type: 'policy.loaded', decision: undefined } as Partial<AuditEvent>)), 6);
});

test('header fields keep only printable ASCII within their lengths; empty becomes the nil value', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1, max: 255 }), (text, max) => {
      const field = headerField(text, max);
      assert.match(field, /^[\x21-\x7e]+$/);
      assert.ok(field.length <= Math.max(1, max));
    }),
  );
  assert.equal(headerField(' \n\t', 10), '-');
  const hostile = syslogMessage(event({ type: 'x y\nz' } as Partial<AuditEvent>), { ...header, hostname: 'a b', version: 'v"]\\' });
  assert.ok(RFC5424.test(hostile), hostile);
  assert.match(hostile, /swVersion="v\\"\\]\\\\"/);
});

test('octet-counted frames come apart again however the stream is cut (multi-byte text included)', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 5 }), (messages, cuts) => {
      const stream = Buffer.concat(messages.map(frame));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const got: string[] = [];
      let pending: Buffer = Buffer.alloc(0);
      let from = 0;
      for (const to of [...points, stream.length]) {
        const parsed = unframe(Buffer.concat([pending, stream.subarray(from, to)]));
        got.push(...parsed.messages);
        pending = parsed.rest;
        from = to;
      }
      assert.deepEqual(got, messages);
      assert.equal(pending.length, 0);
    }),
  );
  assert.throws(() => unframe(Buffer.from('abc def')), /bad octet count/);
});
