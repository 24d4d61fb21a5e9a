/** The approval notification webhook against a real local node:http receiver: signing, retries, refusals, timeouts, URL rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { ManualClock } from '../core/clock.ts';
import type { AirlockError } from '../core/errors.ts';
import type { ApprovalRequest } from './types.ts';
import {
  backoffDelay,
  createApprovalNotifier,
  signWebhook,
  verifyWebhookSignature,
  type ApprovalNotifierOptions,
  type NotifyDelivered,
} from './notify.ts';
import { sampleApprovalRequest } from './store.contract.ts';

const SECRET = new Uint8Array(32).fill(9);
const OTHER_SECRET = new Uint8Array(32).fill(8);
const NOW = Date.UTC(2026, 0, 1);

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver. `reply` decides each response; returning null holds it until `release()`. */
async function receiver(reply: (n: number, req: Received) => number | null) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const status = reply(received.length, r);
      if (status === null) {
        held.push(res);
        return;
      }
      if (status >= 300 && status < 400) res.setHeader('location', '/elsewhere');
      res.statusCode = status;
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/approvals`,
    received,
    release(status = 200) {
      for (const res of held.splice(0)) {
        res.statusCode = status;
        res.end();
      }
    },
    async close() {
      for (const res of held.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function setup(url: string, overrides: Partial<ApprovalNotifierOptions> = {}) {
  const failures: AirlockError[] = [];
  const delivered: NotifyDelivered[] = [];
  const notifier = createApprovalNotifier({
    url,
    secret: SECRET,
    clock: new ManualClock(NOW),
    backoff: { baseMs: 1, maxMs: 5 },
    onFailure: (e) => failures.push(e),
    onDelivered: (d) => delivered.push(d),
    ...overrides,
  });
  return { notifier, failures, delivered };
}

function verify(r: Received, overrides: { secret?: Uint8Array; body?: string; now?: number } = {}) {
  return verifyWebhookSignature({
    secret: overrides.secret ?? SECRET,
    body: overrides.body ?? r.body,
    timestamp: r.headers['x-airlock-timestamp'] as string | undefined,
    signature: r.headers['x-airlock-signature'] as string | undefined,
    now: overrides.now ?? NOW,
  });
}

function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return sampleApprovalRequest({
    token_jti: 'jti_secretsecretsecret',
    justification: 'reviewer notes',
    decided_by: { user: 'fin', issuer: 'https://idp.example', roles: ['finance-lead'] },
    ...overrides,
  });
}

test('a notification is delivered once, signed, summary-only, with the documented body', async () => {
  const rx = await receiver(() => 200);
  try {
    const { notifier, failures, delivered } = setup(rx.url);
    const req = request();
    await notifier.notify(req);
    await notifier.drain();
    assert.deepEqual(failures, []);
    assert.equal(rx.received.length, 1);
    const got = rx.received[0] as Received;
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/hooks/approvals');
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-airlock-event'], 'approval.requested');
    assert.equal(got.headers['x-airlock-timestamp'], String(NOW / 1000));
    assert.match(String(got.headers['x-airlock-signature']), /^v1=[0-9a-f]{64}$/);
    assert.match(String(got.headers['x-airlock-delivery']), /^dlv_[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(verify(got), { valid: true, timestamp: NOW / 1000 });
    assert.deepEqual(JSON.parse(got.body), {
      type: 'approval.requested',
      approval_id: req.id,
      tenant: 'acme',
      tool: 'billing.refund',
      required_role: 'finance-lead',
      summary: req.summary,
      affected_count: 1,
      reasons: [{ policy_id: 'refund-over-limit', reason: 'large refund' }],
      requester: { user: 'sam', agent: 'support-bot' },
      created_at: req.created_at,
      expires_at: req.expires_at,
      action_hash: req.action_hash,
    });
    for (const leak of ['jti_secretsecretsecret', 'reviewer notes', req.args_hash, req.policy_version]) {
      assert.ok(!got.body.includes(leak), `body leaks ${leak}`);
    }
    assert.deepEqual(delivered, [{ approval_id: req.id, delivery_id: got.headers['x-airlock-delivery'], status: 200, attempts: 1 }]);
  } finally {
    await rx.close();
  }
});

test('verification fails on a tampered body, a wrong secret, an old or future timestamp, or a malformed header', async () => {
  const rx = await receiver(() => 204);
  try {
    const { notifier } = setup(rx.url);
    await notifier.notify(request());
    await notifier.drain();
    const got = rx.received[0] as Received;
    assert.equal(verify(got).valid, true);
    assert.deepEqual(verify(got, { body: got.body.replace('"affected_count":1', '"affected_count":2') }), { valid: false, reason: 'mismatch' });
    assert.deepEqual(verify(got, { secret: OTHER_SECRET }), { valid: false, reason: 'mismatch' });
    assert.deepEqual(verify(got, { now: NOW + 301_000 }), { valid: false, reason: 'stale' });
    assert.deepEqual(verify(got, { now: NOW - 301_000 }), { valid: false, reason: 'stale' });
    assert.equal(verify(got, { now: NOW + 300_000 }).valid, true);
    const base = { secret: SECRET, body: got.body, now: NOW };
    const ts = String(NOW / 1000);
    const sig = String(got.headers['x-airlock-signature']);
    assert.deepEqual(verifyWebhookSignature({ ...base, timestamp: undefined, signature: sig }), { valid: false, reason: 'malformed' });
    assert.deepEqual(verifyWebhookSignature({ ...base, timestamp: `${ts}.5`, signature: sig }), { valid: false, reason: 'malformed' });
    assert.deepEqual(verifyWebhookSignature({ ...base, timestamp: ts, signature: sig.slice(0, -2) }), { valid: false, reason: 'malformed' });
    assert.deepEqual(verifyWebhookSignature({ ...base, timestamp: ts, signature: sig.replace('v1=', 'v0=') }), { valid: false, reason: 'malformed' });
    // A timestamp moved forward with the old signature (replay with a fresh timestamp) fails.
    assert.deepEqual(verifyWebhookSignature({ ...base, timestamp: String(NOW / 1000 + 1), signature: sig }), { valid: false, reason: 'mismatch' });
    // Several v1 entries (key rotation): one matching is enough.
    const wrong = signWebhook(OTHER_SECRET, ts, got.body);
    assert.equal(verifyWebhookSignature({ ...base, timestamp: ts, signature: `${wrong}, ${sig}` }).valid, true);
    assert.throws(() => verifyWebhookSignature({ ...base, secret: new Uint8Array(16), timestamp: ts, signature: sig }), {
      code: 'ERR_APPROVAL_NOTIFY_SECRET',
    });
  } finally {
    await rx.close();
  }
});

test('property: changing any byte of the body or timestamp breaks the signature', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), fc.nat(), fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), (body, at, ts) => {
      const signature = signWebhook(SECRET, ts, body);
      const now = ts * 1000;
      assert.equal(verifyWebhookSignature({ secret: SECRET, body, timestamp: String(ts), signature, now }).valid, true);
      const i = at % body.length;
      const tampered = body.slice(0, i) + String.fromCharCode((body.charCodeAt(i) + 1) % 0xffff) + body.slice(i + 1);
      assert.equal(verifyWebhookSignature({ secret: SECRET, body: tampered, timestamp: String(ts), signature, now }).valid, false);
      assert.equal(verifyWebhookSignature({ secret: SECRET, body, timestamp: String(ts + 1), signature, now }).valid, false);
    }),
    { numRuns: 200 },
  );
});

test('5xx, 408 and 429 are retried with the same delivery id and fresh valid signatures until delivered', async () => {
  const statuses = [500, 503, 408, 429, 200];
  const rx = await receiver((n) => statuses[n - 1] ?? 200);
  try {
    let t = NOW;
    const clock = { now: () => (t += 1000) };
    const { notifier, failures, delivered } = setup(rx.url, { clock, retries: 4 });
    await notifier.notify(request());
    await notifier.drain();
    assert.deepEqual(failures, []);
    assert.equal(rx.received.length, 5);
    const ids = new Set(rx.received.map((r) => r.headers['x-airlock-delivery']));
    assert.equal(ids.size, 1);
    for (const r of rx.received) assert.equal(verify(r).valid, true);
    const stamps = rx.received.map((r) => Number(r.headers['x-airlock-timestamp']));
    assert.deepEqual(stamps, [...stamps].sort((x, y) => x - y));
    assert.equal(new Set(stamps).size, 5, 'each attempt is signed with its own timestamp');
    assert.equal(new Set(rx.received.map((r) => r.body)).size, 1);
    assert.equal(delivered[0]?.attempts, 5);
  } finally {
    await rx.close();
  }
});

test('retries stop after the configured count and report ERR_APPROVAL_NOTIFY_UNAVAILABLE', async () => {
  const rx = await receiver(() => 502);
  try {
    const { notifier, failures, delivered } = setup(rx.url, { retries: 2 });
    const req = request();
    await notifier.notify(req);
    await notifier.drain();
    assert.equal(rx.received.length, 3);
    assert.deepEqual(delivered, []);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.code, 'ERR_APPROVAL_NOTIFY_UNAVAILABLE');
    assert.equal(failures[0]?.details?.['status'], 502);
    assert.equal(failures[0]?.details?.['attempts'], 3);
    assert.equal(failures[0]?.details?.['approval_id'], req.id);
    assert.ok(!JSON.stringify(failures[0]).includes(rx.url), 'error carries the url');
  } finally {
    await rx.close();
  }
});

test('a 4xx (other than 408/429) is not retried and a redirect is not followed', async () => {
  for (const status of [400, 401, 404, 302]) {
    const rx = await receiver(() => status);
    try {
      const { notifier, failures } = setup(rx.url);
      await notifier.notify(request());
      await notifier.drain();
      assert.equal(rx.received.length, 1, `status ${status}`);
      assert.equal(failures.length, 1);
      assert.equal(failures[0]?.code, 'ERR_APPROVAL_NOTIFY_REJECTED');
      assert.equal(failures[0]?.details?.['status'], status);
      assert.equal(failures[0]?.details?.['attempts'], 1);
    } finally {
      await rx.close();
    }
  }
});

test('a receiver that does not answer times out (each attempt), then ERR_APPROVAL_NOTIFY_TIMEOUT', async () => {
  const rx = await receiver(() => null);
  try {
    // Long enough for each attempt to reach the receiver on a loaded machine; it never answers.
    const { notifier, failures, delivered } = setup(rx.url, { timeoutMs: 1000, retries: 1 });
    await notifier.notify(request());
    await notifier.drain();
    assert.equal(rx.received.length, 2);
    assert.deepEqual(delivered, []);
    assert.equal(failures.length, 1);
    assert.equal(failures[0]?.code, 'ERR_APPROVAL_NOTIFY_TIMEOUT');
    assert.equal(failures[0]?.details?.['attempts'], 2);
  } finally {
    await rx.close();
  }
});

test('notify resolves before the receiver answers; drain waits for the delivery', async () => {
  const rx = await receiver(() => null);
  try {
    const { notifier, failures, delivered } = setup(rx.url, { timeoutMs: 60_000 });
    await notifier.notify(request());
    // The receiver holds the response: the caller is already free.
    while (rx.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(delivered, []);
    rx.release(200);
    await notifier.drain();
    assert.equal(delivered.length, 1);
    assert.deepEqual(failures, []);
  } finally {
    await rx.close();
  }
});

test('an unreachable receiver is retried, then ERR_APPROVAL_NOTIFY_NETWORK', async () => {
  const rx = await receiver(() => 200);
  const url = rx.url;
  await rx.close();
  const { notifier, failures } = setup(url, { retries: 2 });
  await notifier.notify(request());
  await notifier.drain();
  assert.equal(failures.length, 1);
  assert.equal(failures[0]?.code, 'ERR_APPROVAL_NOTIFY_NETWORK');
  assert.equal(failures[0]?.details?.['attempts'], 3);
});

test('the notifier never rejects: throwing fetch, throwing handlers, malformed requests, overload', async () => {
  let calls = 0;
  const throwingFetch = (() => {
    calls++;
    throw new Error('boom');
  }) as unknown as typeof globalThis.fetch;
  const a = setup('https://hooks.example/approvals', {
    fetch: throwingFetch,
    retries: 1,
    onFailure: () => {
      throw new Error('handler fault');
    },
  });
  await a.notifier.notify(request());
  await a.notifier.notify(null as unknown as ApprovalRequest);
  await a.notifier.notify({ ...request(), reasons: 'x' } as unknown as ApprovalRequest);
  await a.notifier.drain();
  assert.equal(calls, 2);

  const b = setup('https://hooks.example/approvals', { fetch: throwingFetch, retries: 0 });
  await b.notifier.notify(null as unknown as ApprovalRequest);
  assert.equal(b.failures[0]?.code, 'ERR_APPROVAL_NOTIFY_PAYLOAD');

  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const slowFetch = (async () => {
    await gate;
    return new Response(null, { status: 204 });
  }) as unknown as typeof globalThis.fetch;
  const c = setup('https://hooks.example/approvals', { fetch: slowFetch, maxInFlight: 2 });
  for (let i = 0; i < 3; i++) await c.notifier.notify(request());
  assert.deepEqual(
    c.failures.map((e) => e.code),
    ['ERR_APPROVAL_NOTIFY_OVERLOADED'],
  );
  release();
  await c.notifier.drain();
  assert.equal(c.delivered.length, 2);
});

test('url rules: https anywhere, http only on loopback, no credentials; secret and options are checked', () => {
  const ok = ['https://hooks.example/a', 'http://127.0.0.1:8080/a', 'http://127.9.9.9/a', 'http://localhost/a', 'http://[::1]:9/a'];
  for (const url of ok) assert.doesNotThrow(() => createApprovalNotifier({ url, secret: SECRET }), url);
  const bad = [
    'http://hooks.example/a',
    'http://10.0.0.1/a',
    'http://localhost.evil.example/a',
    'http://127.0.0.1.nip.io/a',
    'http://[::ffff:7f00:1]/a',
    'ftp://hooks.example/a',
    'file:///etc/passwd',
    'https://user:pass@hooks.example/a',
    'not a url',
    '',
  ];
  for (const url of bad) {
    assert.throws(() => createApprovalNotifier({ url, secret: SECRET }), { code: 'ERR_APPROVAL_NOTIFY_URL' }, url);
  }
  assert.throws(() => createApprovalNotifier({ url: ok[0] as string, secret: new Uint8Array(31) }), { code: 'ERR_APPROVAL_NOTIFY_SECRET' });
  assert.throws(() => createApprovalNotifier({ url: ok[0] as string, secret: 'x'.repeat(40) as unknown as Uint8Array }), {
    code: 'ERR_APPROVAL_NOTIFY_SECRET',
  });
  for (const bad of [{ retries: -1 }, { retries: 11 }, { retries: 1.5 }, { timeoutMs: 0 }]) {
    assert.throws(() => createApprovalNotifier({ url: ok[0] as string, secret: SECRET, ...bad }), { code: 'ERR_APPROVAL_NOTIFY_OPTIONS' });
  }
});

test('property: backoff grows exponentially, is capped, and stays within [d/2, d]', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 60_000 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (retry, base, max, r) => {
      const d = Math.min(max, base * 2 ** (retry - 1));
      const delay = backoffDelay(retry, base, max, () => r);
      assert.ok(delay >= Math.floor(d / 2) && delay <= d, `${delay} not in [${d / 2}, ${d}]`);
    }),
  );
  assert.equal(backoffDelay(1, 500, 30_000, () => 0), 250);
  assert.equal(backoffDelay(3, 500, 30_000, () => 0.999999), 1999);
  assert.equal(backoffDelay(20, 500, 30_000, () => 0), 15_000);
});
