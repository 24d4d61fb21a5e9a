import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { createCredentialMiddleware, createHonoCredentialMiddleware, verifiedCredential } from './middleware.ts';
import { MemoryCredentialUseStore } from './memory-credential-uses.ts';
import { request, setup } from './test-support.ts';
import type { CredentialUseStore } from './types.ts';

async function withServer(
  handler: ReturnType<typeof createCredentialMiddleware>,
  run: (url: string, seen: { headers?: IncomingMessage['headers']; sub?: string }) => Promise<void>,
): Promise<void> {
  const seen: { headers?: IncomingMessage['headers']; sub?: string } = {};
  const server = createServer((req, res) =>
    handler(req, res, () => {
      seen.headers = req.headers;
      seen.sub = verifiedCredential(req)?.sub;
      res.end('ok');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('node:http middleware: passes a valid credential on, strips the header, refuses others with JSON', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request());
  const middleware = createCredentialMiddleware(verifier, {
    verifyOptions: (req) => ({ actionHash: String(req.headers['x-action-hash'] ?? '') }),
  });
  await withServer(middleware, async (url, seen) => {
    const ok = await fetch(url, { headers: { 'x-airlock-credential': minted.token, 'x-action-hash': 'sha256:action-1' } });
    assert.equal(ok.status, 200);
    assert.equal(seen.sub, 'sam');
    assert.equal(seen.headers?.['x-airlock-credential'], undefined);

    const bearer = await fetch(url, { headers: { 'x-airlock-credential': `Bearer ${minted.token}`, 'x-action-hash': 'sha256:action-1' } });
    assert.equal(bearer.status, 200);

    const missing = await fetch(url);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.deepEqual(await missing.json(), { error: { code: 'ERR_CREDENTIAL_MISSING', message: 'no credential was presented' } });

    const wrongAction = await fetch(url, { headers: { 'x-airlock-credential': minted.token, 'x-action-hash': 'sha256:other' } });
    assert.equal(wrongAction.status, 403);
    const body = await wrongAction.text();
    assert.equal(JSON.parse(body).error.code, 'ERR_CREDENTIAL_ACTION_MISMATCH');
    assert.equal(body.includes(minted.token), false);
  });
});

test('node:http middleware with bind: a credential for another target is refused 403 with its reason; its own target passes', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request({ target: { tool: 'crm.get', resource: { type: 'Customer', id: 'ada' }, arguments: { id: 'ada' } } }));
  const middleware = createCredentialMiddleware(verifier, {
    bind: (req) => {
      const id = /^\/customers\/([a-z]+)$/.exec(req.url ?? '')?.[1];
      return id === undefined ? null : { tool: 'crm.get', resource: { type: 'Customer', id }, arguments: { id } };
    },
  });
  await withServer(middleware, async (url, seen) => {
    const present = (path: string) => fetch(new URL(path, url), { headers: { 'x-airlock-credential': minted.token } });
    const other = await present('/customers/grace');
    assert.equal(other.status, 403);
    assert.deepEqual(await other.json(), {
      error: { code: 'ERR_CREDENTIAL_TARGET_MISMATCH', message: 'credential was minted for another target resource', reason: 'resource' },
    });
    const unbound = await present('/health');
    assert.equal(unbound.status, 403);
    assert.equal(((await unbound.json()) as { error: { reason: string } }).error.reason, 'resource');
    assert.equal(seen.sub, undefined, 'no refused request reached the handler');
    assert.equal((await present('/customers/ada')).status, 200);
    assert.equal(seen.sub, 'sam');
  });
});

test('node:http middleware: a custom header name is honoured', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request());
  await withServer(createCredentialMiddleware(verifier, { header: 'X-Upstream-Credential' }), async (url) => {
    assert.equal((await fetch(url, { headers: { 'x-upstream-credential': minted.token } })).status, 200);
    assert.equal((await fetch(url, { headers: { 'x-airlock-credential': minted.token } })).status, 401);
  });
});

test('hono middleware: claims in c.get, refusals as JSON with the error status', async () => {
  const { broker, verifier, clock } = setup();
  const minted = await broker.mint(request({ ttlSeconds: 10 }));
  const app = new Hono<{ Variables: { airlockCredential: { sub: string } } }>();
  app.use('*', createHonoCredentialMiddleware(verifier));
  app.get('/', (c) => c.text(c.get('airlockCredential').sub));
  const ok = await app.request('/', { headers: { 'x-airlock-credential': minted.token } });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'sam');
  const bound = new Hono();
  bound.use('*', createHonoCredentialMiddleware(verifier, { bind: (req) => ({ resource: { type: 'Customer', id: new URL(req.url).pathname.slice(1) } }) }));
  bound.get('*', (c) => c.text('ok'));
  const refused = await bound.request('/grace', { headers: { 'x-airlock-credential': minted.token } });
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_TARGET_MISMATCH');
  clock.advance(10_000);
  const expired = await app.request('/', { headers: { 'x-airlock-credential': minted.token } });
  assert.equal(expired.status, 401);
  assert.equal(((await expired.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_EXPIRED');
});

test('middleware with a one-time use store: a replay is 401 ERR_CREDENTIAL_REPLAYED, a store that cannot tell is 503', async () => {
  const uses = new MemoryCredentialUseStore();
  const { broker, verifier } = setup({ oneTime: true, uses });
  const minted = await broker.mint(request());
  await withServer(createCredentialMiddleware(verifier), async (url, seen) => {
    const present = () => fetch(url, { headers: { 'x-airlock-credential': minted.token } });
    assert.equal((await present()).status, 200);
    assert.equal(seen.sub, 'sam');
    const replay = await present();
    assert.equal(replay.status, 401);
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_REPLAYED');
  });
  const failing: CredentialUseStore = { use: async () => Promise.reject(new Error('store down')), purge: async () => 0 };
  const down = setup({ oneTime: true, uses: failing });
  const fresh = await down.broker.mint(request());
  const app = new Hono();
  app.use('*', createHonoCredentialMiddleware(down.verifier));
  app.get('/', (c) => c.text('ok'));
  const refused = await app.request('/', { headers: { 'x-airlock-credential': fresh.token } });
  assert.equal(refused.status, 503);
  assert.deepEqual(await refused.json(), { error: { code: 'ERR_CREDENTIAL_UNAVAILABLE', message: 'one-time credential use cannot be recorded' } });
});

test('node:http middleware: accepts credentials with and without a session (sid); a session revocation refuses only its own', async () => {
  const { broker, verifier, clock } = setup();
  const inSession = await broker.mint(request({ session: 'ses_1' }));
  const outside = await broker.mint(request());
  const otherSession = await broker.mint(request({ session: 'ses_2' }));
  await withServer(createCredentialMiddleware(verifier), async (url) => {
    for (const minted of [inSession, outside, otherSession]) {
      assert.equal((await fetch(url, { headers: { 'x-airlock-credential': minted.token } })).status, 200);
    }
    clock.advance(1_000);
    await broker.revoke({ kind: 'session', tenant: 'acme', session: 'ses_1' });
    const refused = await fetch(url, { headers: { 'x-airlock-credential': inSession.token } });
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_REVOKED');
    assert.equal((await fetch(url, { headers: { 'x-airlock-credential': outside.token } })).status, 200);
    assert.equal((await fetch(url, { headers: { 'x-airlock-credential': otherSession.token } })).status, 200);
  });
});

test('node:http middleware: the token is gone from every header view later handlers and loggers read', async () => {
  const { broker, verifier } = setup();
  const minted = await broker.mint(request());
  const middleware = createCredentialMiddleware(verifier);
  let views: unknown;
  const server = createServer((req, res) =>
    middleware(req, res, () => {
      views = { headers: req.headers, rawHeaders: req.rawHeaders, headersDistinct: req.headersDistinct };
      res.end('ok');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    for (const header of ['x-airlock-credential', 'X-Airlock-Credential']) {
      const res = await fetch(url, { headers: { [header]: `Bearer ${minted.token}`, 'x-other': 'kept' } });
      assert.equal(res.status, 200);
      const text = JSON.stringify(views);
      assert.equal(text.includes(minted.token), false, text);
      assert.equal(text.toLowerCase().includes('x-airlock-credential'), false, text);
      assert.ok(text.includes('kept'), 'other headers stay');
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
