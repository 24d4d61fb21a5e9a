import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { createCredentialMiddleware, createHonoCredentialMiddleware, verifiedCredential } from './middleware.ts';
import { request, setup } from './test-support.ts';

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
  clock.advance(10_000);
  const expired = await app.request('/', { headers: { 'x-airlock-credential': minted.token } });
  assert.equal(expired.status, 401);
  assert.equal(((await expired.json()) as { error: { code: string } }).error.code, 'ERR_CREDENTIAL_EXPIRED');
});
