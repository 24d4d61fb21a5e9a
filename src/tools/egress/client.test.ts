/** The egress client against real local servers: hostile redirects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EgressRecord } from './client.ts';
import { MAX_REDIRECT_BODY_BYTES, createEgressFetch } from './client.ts';
import { compileEgressPolicy } from './policy.ts';

test('a redirect with an endless body is not read without bound: the connection is closed and the next hop checked', { timeout: 20_000 }, async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/final') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    res.writeHead(302, { location: '/final' });
    const chunk = Buffer.alloc(64 * 1024, 120);
    const timer = setInterval(() => res.write(chunk), 1);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const records: EgressRecord[] = [];
    const policy = compileEgressPolicy([{ host: 'api.test', ports: [port], addresses: ['127.0.0.1'] }]);
    const egressFetch = createEgressFetch({ policy, resolver: async () => [{ address: '127.0.0.1', family: 4 }], onRecord: (r) => records.push(r) });
    const started = Date.now();
    // The signal only keeps a broken client from hanging the suite; a fixed one never gets near it.
    const response = await egressFetch(`http://api.test:${port}/start`, { signal: AbortSignal.timeout(10_000) });
    assert.deepEqual(await response.json(), { ok: true });
    const redirect = records.find((r) => r.status === 302);
    assert.ok(redirect !== undefined);
    assert.ok(redirect.bytes_in < MAX_REDIRECT_BODY_BYTES + 1024 * 1024, `read ${redirect.bytes_in} bytes of a redirect body`);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
