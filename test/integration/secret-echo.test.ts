/**
 * An upstream that echoes what it was sent: the just-in-time credential and the connector's
 * own secret (an `authorization` header written as a secret reference) come back in its
 * answer — as values, inside longer strings, as object keys. `POST /v1/tool-calls` must hand
 * the agent none of them, and the result event records how many secrets of which kind were
 * removed, never a value.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { SECRET_MARKER } from '../../src/pipeline/call-secrets.ts';
import type { HttpFixture } from '../support/demo.ts';
import { demoBundleWith, inventoryEgress, inventoryTool, startDemoServer } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

const POLICY = `
@id("support-inventory-lookup")
@credential_scope("inventory.read")
permit (principal, action == Airlock::Action::"inventory.lookup", resource)
when { principal.roles.contains("support") };
`;
const API_TOKEN_ENV = 'AIRLOCK_TEST_ECHO_API_TOKEN';

describe('an upstream that echoes its request headers', () => {
  let upstream: Server;
  let fx: HttpFixture;
  const received: Array<{ credential: string; authorization: string }> = [];
  const apiToken = `echo-api-${randomBytes(24).toString('base64url')}`;

  before(async () => {
    process.env[API_TOKEN_ENV] = apiToken;
    recordSecret('connector api token', apiToken);
    upstream = createServer((req, res) => {
      const credential = String(req.headers['x-airlock-credential'] ?? '');
      const authorization = String(req.headers.authorization ?? '');
      recordSecret('credential received by an upstream', credential);
      received.push({ credential, authorization });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          in_stock: 3,
          echo: req.headers,
          [credential]: 'the credential as a key',
          nested: [{ note: `you sent ${credential} and ${authorization};` }, `sig=${credential.split('.')[2] ?? ''}`],
        }),
      );
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const tool = { ...inventoryTool(base), connector: { type: 'http' as const, method: 'GET' as const, url: `${base}/items/{sku}`, headers: { authorization: `env:${API_TOKEN_ENV}` }, egress: inventoryEgress(base) } };
    fx = await startDemoServer({
      configure: (c) => ({ ...c, tools: [...c.tools, tool], policy: { ...c.policy, bundleDir: demoBundleWith({ 'inventory.cedar': POLICY }) } }),
    });
  });
  after(async () => {
    await fx.close();
    await new Promise((done) => upstream.close(done));
    delete process.env[API_TOKEN_ENV];
  });

  test('POST /v1/tool-calls: the echoed credential and connector secret are redacted everywhere; the result event counts them', async () => {
    const answer = await fx.post('/v1/tool-calls', { session_id: await fx.session(fx.tokens.sam), tool: 'inventory.lookup', arguments: { sku: 'A-1' } }, fx.tokens.sam);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const sent = received.at(-1);
    assert.ok(sent !== undefined && sent.credential.startsWith('eyJ'), 'the upstream got a credential');
    assert.equal(sent.authorization, apiToken, 'the connector resolved its secret reference');

    const text = JSON.stringify(answer.body);
    assert.ok(!text.includes(sent.credential), 'no credential handed to the agent');
    assert.ok(!text.includes(sent.credential.split('.')[2] as string), 'not even its signature');
    assert.ok(!text.includes(apiToken), 'no connector secret handed to the agent');
    const result = answer.body.result as { in_stock: number; echo: Record<string, string>; nested: [{ note: string }, string] };
    assert.equal(result.in_stock, 3, 'the rest of the result is intact');
    assert.equal(result.echo['x-airlock-credential'], SECRET_MARKER);
    assert.equal(result.echo.authorization, SECRET_MARKER);
    assert.equal(result.nested[0].note, `you sent ${SECRET_MARKER} and ${SECRET_MARKER};`);
    assert.equal(result.nested[1], `sig=${SECRET_MARKER}`);
    assert.equal((result as unknown as Record<string, string>)[SECRET_MARKER], 'the credential as a key');

    const log = SqliteAuditStore.open(fx.config.audit.type === 'sqlite' ? fx.config.audit.path : '', { readOnly: true });
    const events = await log.findRelated(answer.body.request_id as string);
    await log.close();
    const resultEvent = events.find((e) => e.type === 'result');
    assert.deepEqual((resultEvent?.data as { redacted: unknown }).redacted, { count: 6, kinds: { credential: 4, connector_secret: 2 } });
    const rows = JSON.stringify(events);
    assert.ok(!rows.includes(sent.credential) && !rows.includes(apiToken), 'no secret value in the audit log');
  });
});
