/** HttpConnector against a real local node:http server. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AirlockError } from '../../core/errors.ts';
import type { ConnectorCall } from '../../core/types.ts';
import { ToolRegistry } from '../registry.ts';
import { alice, toolDef } from '../test-support.ts';
import { compileEgressPolicy } from '../egress/policy.ts';
import type { HttpConnectorOptions, HttpConnectorSpec } from './http.ts';
import { HttpConnector } from './http.ts';
import { createConnector, executeWithTimeout } from './index.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const seen: Seen[] = [];
const hits = new Map<string, number>();
let hangingClosed: Promise<unknown> = Promise.resolve();
let server: Server;
let base = '';

async function readAll(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

before(async () => {
  server = createServer(async (req, res) => {
    const url = req.url ?? '';
    const path = url.split('?')[0] ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/hang')) {
      hangingClosed = once(res, 'close');
      return;
    }
    const body = await readAll(req);
    seen.push({ method: req.method ?? '', url, headers: req.headers, body });
    const json = (status: number, value: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof value === 'string' ? value : JSON.stringify(value));
    };
    if (path.startsWith('/echo')) return json(200, { ok: true });
    if (path === '/fail') return json(500, `upstream exploded: ${'x'.repeat(1000)}`, 'text/plain');
    if (path === '/denied') return json(401, 'invalid token Bearer abcdefghijklmnopqrstuvwxyz', 'text/plain');
    if (path === '/text') return json(200, 'hello', 'text/plain');
    if (path === '/badjson') return json(200, '{"not": json');
    if (path === '/vendorjson') return json(200, { v: 1 }, 'application/vnd.api+json; charset=utf-8');
    if (path === '/big') return json(200, { data: 'y'.repeat(5000) });
    if (path === '/empty') {
      res.writeHead(204);
      return res.end();
    }
    if (path === '/redirect') {
      res.writeHead(302, { location: `${base}/echo/redirect-target` });
      return res.end();
    }
    if (path === '/redirect-away') {
      res.writeHead(307, { location: `http://127.0.0.1:${Number(new URL(base).port) + 1}/echo` });
      return res.end();
    }
    if (path === '/redirect-loop') {
      res.writeHead(302, { location: '/redirect-loop' });
      return res.end();
    }
    json(404, { error: 'not found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const tool = new ToolRegistry([toolDef()]).get('crm.getCustomer')!;

function call(args: ConnectorCall['arguments'], signal = new AbortController().signal): ConnectorCall {
  return { tool, arguments: args, principal: alice, actionId: 'act_1', idempotencyKey: 'idem_42', signal };
}

function spec(method: HttpConnectorSpec['method'], path: string, headers?: Record<string, string>): HttpConnectorSpec {
  return { type: 'http', method, url: `${base}${path}`, ...(headers === undefined ? {} : { headers }) };
}

/** A connector whose egress allowlist names the test server (and nothing else). */
function allowed(connectorSpec: HttpConnectorSpec, options: HttpConnectorOptions = {}): HttpConnector {
  const port = Number(new URL(base).port);
  return new HttpConnector(connectorSpec, { egress: compileEgressPolicy([{ id: 'test-server', host: '127.0.0.1', ports: [port], schemes: ['http'] }]), ...options });
}

function last(): Seen {
  const entry = seen.at(-1);
  assert.ok(entry);
  return entry;
}

describe('HttpConnector requests', () => {
  it('fills the template, sends the other arguments as JSON, and sets the headers', async () => {
    const connector = allowed(spec('POST', '/echo/customers/{id}/notes', { 'x-tenant-app': 'crm' }), {
      credentialHeader: async (c) => ({ authorization: `Bearer minted-for-${c.actionId}` }),
    });
    assert.deepEqual(await connector.execute(call({ id: 'c1', note: 'hi', n: 2 })), { ok: true });
    const request = last();
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/echo/customers/c1/notes');
    assert.deepEqual(JSON.parse(request.body), { note: 'hi', n: 2 });
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['idempotency-key'], 'idem_42');
    assert.equal(request.headers['x-tenant-app'], 'crm');
    assert.equal(request.headers.authorization, 'Bearer minted-for-act_1');
  });

  it('resolves headers written as secret references and reports every secret it sends; without a resolver it refuses them', async () => {
    const reported: Array<[string, string]> = [];
    const connector = allowed(spec('GET', '/echo/x', { authorization: 'env:CRM_TOKEN', 'x-app': 'crm' }), {
      resolveSecret: async (ref) => (ref === 'env:CRM_TOKEN' ? 'crm-secret-value-0123456789' : 'wrong'),
      credentialHeader: async () => ({ 'x-airlock-credential': 'minted-token-value' }),
    });
    await connector.execute({ ...call({}), secrets: { add: (kind, value) => reported.push([kind, value]) } });
    assert.equal(last().headers.authorization, 'crm-secret-value-0123456789');
    assert.equal(last().headers['x-app'], 'crm');
    assert.deepEqual(reported, [
      ['connector_secret', 'crm-secret-value-0123456789'],
      ['credential', 'minted-token-value'],
    ]);
    assert.throws(() => allowed(spec('GET', '/echo/x', { authorization: 'env:CRM_TOKEN' })), { code: 'ERR_TOOLS_CONNECTOR_INVALID' });
  });

  it('keeps ../ and / inside one path segment', async () => {
    const connector = allowed(spec('DELETE', '/echo/customers/{id}/notes'));
    await connector.execute(call({ id: '../../admin' }));
    assert.equal(last().url, '/echo/customers/..%2F..%2Fadmin/notes');
    await connector.execute(call({ id: 'a/b?c=d#e' }));
    assert.equal(last().url, '/echo/customers/a%2Fb%3Fc%3Dd%23e/notes');
    await connector.execute(call({ id: '%2e%2e' }));
    assert.equal(last().url, '/echo/customers/%252e%252e/notes');
  });

  it('refuses values that would form a dot segment or an empty segment, before any request', async () => {
    const connector = allowed(spec('GET', '/guarded/{id}/x'));
    for (const id of ['..', '.', '']) {
      await assert.rejects(connector.execute(call({ id })), { code: 'ERR_CONNECTOR_ARGUMENT' }, JSON.stringify(id));
    }
    await assert.rejects(connector.execute(call({})), { code: 'ERR_CONNECTOR_ARGUMENT' });
    await assert.rejects(connector.execute(call({ id: { nested: true } })), { code: 'ERR_CONNECTOR_ARGUMENT' });
    assert.equal(hits.get('/guarded/x/x') ?? 0, 0);
    assert.equal([...hits.keys()].some((p) => p.startsWith('/guarded') || p === '/x'), false);
  });

  it('sends no body for GET and encodes query values', async () => {
    const connector = allowed(spec('GET', '/echo/search?q={q}&limit={limit}'));
    await connector.execute(call({ q: 'a&b=c d', limit: 5, ignored: 'x' }));
    const request = last();
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/echo/search?q=a%26b%3Dc%20d&limit=5');
    assert.equal(request.body, '');
    assert.equal(request.headers['content-type'], undefined);
  });

  it('accepts +json media types and maps 204 to null', async () => {
    assert.deepEqual(await allowed(spec('GET', '/vendorjson')).execute(call({})), { v: 1 });
    assert.equal(await allowed(spec('DELETE', '/empty')).execute(call({})), null);
  });
});

describe('HttpConnector failures', () => {
  it('maps non-2xx to ERR_CONNECTOR_UPSTREAM with the status and at most 200 characters of body', async () => {
    await assert.rejects(allowed(spec('GET', '/fail')).execute(call({})), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_CONNECTOR_UPSTREAM');
      assert.equal(error.status, 502);
      assert.equal(error.details?.status, 500);
      const body = error.details?.body as string;
      assert.ok(body.startsWith('upstream exploded'));
      assert.ok(body.length <= 200);
      assert.ok(!error.message.includes('exploded'));
      return true;
    });
    await assert.rejects(allowed(spec('GET', '/denied')).execute(call({})), (error: AirlockError) => {
      assert.equal(error.details?.status, 401);
      assert.equal(error.details?.body, '[redacted]');
      return true;
    });
  });

  it('refuses non-JSON, malformed JSON and oversized responses', async () => {
    await assert.rejects(allowed(spec('GET', '/text')).execute(call({})), { code: 'ERR_CONNECTOR_RESPONSE' });
    await assert.rejects(allowed(spec('GET', '/badjson')).execute(call({})), { code: 'ERR_CONNECTOR_RESPONSE' });
    await assert.rejects(allowed(spec('GET', '/big'), { maxResponseBytes: 1000 }).execute(call({})), {
      code: 'ERR_CONNECTOR_RESPONSE',
    });
  });

  it('follows a redirect to an allowlisted destination, re-checked, and reports each hop with its bytes', async () => {
    const hops: Array<Record<string, unknown>> = [];
    const telemetry = { egress: (hop: object) => hops.push({ ...hop }), sandbox: () => undefined };
    assert.deepEqual(await allowed(spec('GET', '/redirect')).execute({ ...call({}), telemetry }), { ok: true });
    assert.equal(hits.get('/echo/redirect-target'), 1);
    assert.deepEqual(hops.map((h) => [h.hop, h.allowed, h.rule, h.status]), [
      [0, true, 'test-server', 302],
      [1, true, 'test-server', 200],
    ]);
    for (const hop of hops) assert.ok((hop.bytes_out as number) > 0 && (hop.bytes_in as number) > 0, JSON.stringify(hop));
  });

  it('refuses a redirect to a destination off the allowlist, and a redirect loop, with reason and rule', async () => {
    const hops: Array<Record<string, unknown>> = [];
    const telemetry = { egress: (hop: object) => hops.push({ ...hop }), sandbox: () => undefined };
    await assert.rejects(allowed(spec('POST', '/redirect-away')).execute({ ...call({}), telemetry }), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_EGRESS_DENIED');
      assert.equal(error.details?.reason, 'egress.not_allowlisted');
      assert.equal(error.details?.rule, 'builtin.egress_allowlist');
      return true;
    });
    assert.deepEqual(hops.map((h) => [h.hop, h.allowed, h.reason ?? null]), [
      [0, true, null],
      [1, false, 'egress.not_allowlisted'],
    ]);
    await assert.rejects(allowed(spec('GET', '/redirect-loop')).execute(call({})), (error: AirlockError) => {
      assert.equal(error.details?.reason, 'egress.redirect_limit');
      return true;
    });
    assert.equal(hits.get('/redirect-loop'), 4, 'the request and three redirects, then refused');
  });

  it('reaches nothing without an egress allowlist (no implicit loopback exemption)', async () => {
    const before = hits.get('/echo/none') ?? 0;
    await assert.rejects(new HttpConnector(spec('GET', '/echo/none')).execute(call({})), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_EGRESS_DENIED');
      assert.equal(error.details?.reason, 'egress.not_allowlisted');
      return true;
    });
    assert.equal(hits.get('/echo/none') ?? 0, before);
  });

  it('leaves a 3xx unfollowed when the fetch is injected (redirect: manual)', async () => {
    await assert.rejects(new HttpConnector(spec('GET', '/redirect'), { fetch }).execute(call({})), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_CONNECTOR_REDIRECT');
      assert.equal(error.details?.status, 302);
      return true;
    });
  });

  it('times out through the signal and closes the upstream request', async () => {
    const connector = allowed(spec('GET', '/hang'));
    await assert.rejects(executeWithTimeout(connector, call({}), 200), { code: 'ERR_CONNECTOR_TIMEOUT' });
    // When the request reached the server before the deadline, the server sees the client give up.
    if ((hits.get('/hang') ?? 0) > 0) await hangingClosed;
  });

  it('reports transport failures and credential hook failures without their text', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const unreachable = new HttpConnector({ type: 'http', method: 'GET', url: `http://127.0.0.1:${port}/x` }, { egress: compileEgressPolicy([{ host: '127.0.0.1', ports: [port] }]) });
    await assert.rejects(unreachable.execute(call({})), { code: 'ERR_CONNECTOR_NETWORK' });
    const failingHook = allowed(spec('GET', '/echo/x'), {
      credentialHeader: async () => {
        throw new Error('vault token s.abcdef rejected');
      },
    });
    await assert.rejects(failingHook.execute(call({})), (error: AirlockError) => {
      assert.equal(error.code, 'ERR_CONNECTOR_CREDENTIAL');
      assert.ok(!error.message.includes('s.abcdef'));
      return true;
    });
  });
});

describe('HttpConnector construction', () => {
  it('refuses templates that could move the request elsewhere, and invalid headers', () => {
    const bad = [
      'http://{host}/x',
      'http://example.com:{port}/x',
      'https://user:pass@example.com/x',
      'ftp://example.com/x',
      'http://example.com',
      'http://example.com/a/../b/{id}',
      'http://example.com/{id',
      'not a url/{id}',
    ];
    for (const url of bad) {
      assert.throws(() => createConnector({ type: 'http', method: 'GET', url }), { code: 'ERR_TOOLS_CONNECTOR_INVALID' }, url);
    }
    assert.throws(() => createConnector({ type: 'http', method: 'GET', url: 'http://e.com/x', headers: { 'bad header': 'v' } }), {
      code: 'ERR_TOOLS_CONNECTOR_INVALID',
    });
    assert.throws(() => createConnector({ type: 'http', method: 'GET', url: 'http://e.com/x', headers: { x: 'a\r\nb: c' } }), {
      code: 'ERR_TOOLS_CONNECTOR_INVALID',
    });
  });
});
