import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser } from './http-transport.ts';

interface Seen {
  events: Array<{ id: string | undefined; event: string; data: string }>;
  ids: string[];
  retries: number[];
}

function parse(chunks: string[]): Seen {
  const seen: Seen = { events: [], ids: [], retries: [] };
  const parser = new SseParser({ onEvent: (e) => seen.events.push(e), onId: (id) => seen.ids.push(id), onRetry: (ms) => seen.retries.push(ms) });
  for (const chunk of chunks) parser.push(chunk);
  return seen;
}

test('sse: events, multi-line data, event types, ids, retry and comments', () => {
  const seen = parse([
    ': keep-alive\n',
    'id: 1\nretry: 1500\ndata: \n\n', // priming event: an id, empty data
    'id: 2\n\n', // an id alone: no event
    'event: message\ndata: {"a":1}\n\n',
    'data: line one\ndata:line two\nid: 7\n\n',
    'event: other\ndata: x\n\n',
    'data: unterminated', // dropped at the end of the stream
  ]);
  assert.deepEqual(seen.events, [
    { id: '1', event: 'message', data: '' },
    { id: undefined, event: 'message', data: '{"a":1}' },
    { id: '7', event: 'message', data: 'line one\nline two' },
    { id: undefined, event: 'other', data: 'x' },
  ]);
  assert.deepEqual(seen.ids, ['1', '2', '7']);
  assert.deepEqual(seen.retries, [1500]);
});

test('sse: CRLF, CR and LF line ends, a BOM, and a field without a colon', () => {
  const seen = parse(['\ufeffdata: a\r\n\r\n', 'data: b\r\rdata\n\n', 'id\ndata: c\n\n']);
  assert.deepEqual(
    seen.events.map((e) => [e.data, e.id]),
    [
      ['a', undefined],
      ['b', undefined],
      ['', undefined],
      ['c', ''],
    ],
  );
});

test('sse: an id containing NUL is ignored; a bad retry is ignored', () => {
  const seen = parse(['id: a\u0000b\nretry: 12x\ndata: d\n\n']);
  assert.deepEqual(seen.ids, []);
  assert.deepEqual(seen.retries, []);
  assert.deepEqual(seen.events, [{ id: undefined, event: 'message', data: 'd' }]);
});

test('sse: the same events however the stream is cut into chunks', () => {
  const stream = 'id: 1\r\ndata: {"x":"é"}\r\n\r\nevent: message\rdata: two\rdata: lines\r\r: c\ndata: 3\n\nid: 9\n\n';
  const whole = parse([stream]);
  assert.equal(whole.events.length, 3);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const chunks: string[] = [];
      let last = 0;
      for (const cut of sorted) {
        chunks.push(stream.slice(last, cut));
        last = cut;
      }
      chunks.push(stream.slice(last));
      assert.deepEqual(parse(chunks), whole);
    }),
    { numRuns: 300 },
  );
});
