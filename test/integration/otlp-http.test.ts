import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';
import { createOtlpHttpSender, retryAfterMs } from '../../src/tracing/otlp-http.ts';

const BODY = '{"resourceSpans":[]}';

let receiver: OtlpReceiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

test('a collector that passes (503, 429) is asked again after a backoff, and the export succeeds', async () => {
  const sender = createOtlpHttpSender({ url: receiver.url, headers: {}, timeoutMs: 5_000 }, { initialBackoffMs: 10 });
  const before = receiver.requests.length;
  receiver.failNext(503, 2);
  await sender.send(BODY);
  assert.equal(receiver.requests.length - before, 3, 'two refusals, then the accepted request');
  receiver.failNext(429, 1, '0');
  await sender.send(BODY);
  assert.equal(receiver.requests.length - before, 5);
  sender.close();
});

test('a refusal that is not passing (400) fails the export at once, naming the status', async () => {
  const sender = createOtlpHttpSender({ url: receiver.url, headers: {}, timeoutMs: 5_000 }, { initialBackoffMs: 10 });
  const before = receiver.requests.length;
  receiver.failNext(400, 1);
  await assert.rejects(sender.send(BODY), /HTTP 400/);
  assert.equal(receiver.requests.length - before, 1, 'not retried');
  sender.close();
});

test('retries stop at the attempt limit and at the export timeout', async () => {
  const sender = createOtlpHttpSender({ url: receiver.url, headers: {}, timeoutMs: 5_000 }, { initialBackoffMs: 5, maxAttempts: 3 });
  let before = receiver.requests.length;
  receiver.failNext(502, 10);
  await assert.rejects(sender.send(BODY), /HTTP 502/);
  assert.equal(receiver.requests.length - before, 3);
  sender.close();
  // A Retry-After beyond the timeout ends the export instead of waiting.
  const short = createOtlpHttpSender({ url: receiver.url, headers: {}, timeoutMs: 300 }, { initialBackoffMs: 5 });
  before = receiver.requests.length;
  receiver.failNext(503, 10, '60');
  const started = Date.now();
  await assert.rejects(short.send(BODY), /HTTP 503/);
  assert.ok(Date.now() - started < 5_000);
  assert.equal(receiver.requests.length - before, 1);
  receiver.failNext(503, 0);
  short.close();
});

test('a collector that does not answer fails the export when its time is up', async () => {
  const silent = createServer((socket) => socket.resume());
  await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
  const { port } = silent.address() as AddressInfo;
  const sender = createOtlpHttpSender({ url: `http://127.0.0.1:${port}/v1/traces`, headers: {}, timeoutMs: 200 }, { initialBackoffMs: 5 });
  await assert.rejects(sender.send(BODY), /did not answer within/);
  sender.close();
  await new Promise((done) => silent.close(done));
});

test('a collector that is down fails the export with the connection error', async () => {
  const closed = createServer();
  await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
  const { port } = closed.address() as AddressInfo;
  await new Promise((done) => closed.close(done));
  const sender = createOtlpHttpSender({ url: `http://127.0.0.1:${port}/v1/traces`, headers: {}, timeoutMs: 300 }, { initialBackoffMs: 20 });
  await assert.rejects(sender.send(BODY), /ECONNREFUSED/);
  sender.close();
});

test('Retry-After: seconds or an HTTP date; anything else is ignored', () => {
  assert.equal(retryAfterMs('2'), 2_000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6_000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs(undefined), undefined);
});
