/**
 * GET /metrics without a scrape token is for loopback callers only, and a loopback caller is a
 * loopback peer that names a loopback host. A browser page of another site whose name was
 * rebound to 127.0.0.1 (DNS rebinding) connects from loopback but sends its own name as Host:
 * it is refused, so it cannot read the tenants, tools and rules the exposition names.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { HttpFixture } from '../support/demo.ts';
import { startDemoServer } from '../support/demo.ts';

/** GET /metrics over a real loopback connection with the given Host header. */
function scrapeAs(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/metrics`, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /metrics without a token: DNS rebinding', () => {
  let fx: HttpFixture;
  before(async () => {
    fx = await startDemoServer();
    const session = await fx.session(fx.tokens.sam, { customer_id: 'cus_acme_ada' });
    await fx.post('/v1/decide', { session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.sam);
  });
  after(() => fx.close());

  test('a loopback peer naming another host is refused (403), loopback names are served', async () => {
    const port = new URL(fx.server.url).port;
    for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1.attacker.example:${port}`, `localhost.attacker.example:${port}`]) {
      const res = await scrapeAs(fx.server.url, host);
      assert.equal(res.status, 403, host);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'ERR_METRICS_FORBIDDEN', host);
      assert.ok(!res.body.includes('tenant="acme"'), host);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '127.0.0.1']) {
      const res = await scrapeAs(fx.server.url, host);
      assert.equal(res.status, 200, host);
      assert.match(res.body, /airlock_decisions_total\{[^}]*tenant="acme"/, host);
    }
  });
});
