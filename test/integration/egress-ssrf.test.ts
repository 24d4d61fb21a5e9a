/**
 * Egress against real servers: more than 500 URL forms of forbidden destinations — loopback
 * servers on ports the allowlist does not name, a server on every address of this host, and
 * hosts in network namespaces the test creates (veth pairs, IPv4 and IPv6) — sent directly,
 * through the HTTP connector, and as redirect targets of an allowlisted server; plus DNS
 * rebinding through a resolver that answers differently the second time. Every server counts
 * the connections it accepts: a forbidden one must see none, the allowed controls must see
 * theirs (so a broken harness cannot pass).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AirlockError } from '../../src/core/errors.ts';
import type { EgressHop } from '../../src/core/types.ts';
import { HttpConnector } from '../../src/tools/connectors/http.ts';
import { createEgressFetch } from '../../src/tools/egress/client.ts';
import type { EgressResolver } from '../../src/tools/egress/client.ts';
import { compileEgressPolicy } from '../../src/tools/egress/policy.ts';
import type { EgressPolicy } from '../../src/tools/egress/policy.ts';
import { ToolRegistry } from '../../src/tools/registry.ts';
import { alice, toolDef } from '../../src/tools/test-support.ts';
import { createNetnsHost, netnsAvailable } from '../support/netns.ts';
import type { NetnsHost } from '../support/netns.ts';
import { ipv4Spellings, ipv6Spellings, urlForms } from '../support/ssrf-forms.ts';

interface Counted {
  server: Server;
  port: number;
  connections: number;
}

async function counted(host: string, port = 0, onRequest?: Parameters<typeof createServer>[1]): Promise<Counted> {
  const entry = { server: createServer(onRequest ?? ((_q, s) => s.writeHead(200, { 'content-type': 'application/json' }).end('{"reached":true}'))), port: 0, connections: 0 };
  entry.server.on('connection', () => {
    entry.connections++;
  });
  entry.server.listen({ host, port, ipv6Only: false });
  await once(entry.server, 'listening');
  entry.port = (entry.server.address() as AddressInfo).port;
  return entry;
}

const forbidden: Counted[] = [];
let allowedServer: Counted;
let aliasSibling: Counted; // 127.0.0.2 on the allowed server's port: the rebinding target
let ns: NetnsHost | null = null;
const NS_FORBIDDEN_PORT = 18000 + (process.pid % 1000);
const NS_CONTROL_PORT = NS_FORBIDDEN_PORT + 1000;
let policy: EgressPolicy;
const resolverCalls = new Map<string, number>();

/** Names under *.allowed.test resolve (in this resolver) to forbidden addresses. */
function resolverFor(names: Record<string, string[]>): EgressResolver {
  return async (host) => {
    resolverCalls.set(host, (resolverCalls.get(host) ?? 0) + 1);
    const answers = names[host];
    if (answers === undefined) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

let names: Record<string, string[]> = {};

before(async () => {
  const loop1 = await counted('127.0.0.1');
  const loop2 = await counted('127.0.0.2');
  const loop6 = await counted('::1');
  const any = await counted('::'); // dual stack: every address of this host, v4 and v6
  forbidden.push(loop1, loop2, loop6, any);
  allowedServer = await counted('127.0.0.1', 0, (req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (to !== null) {
      // Header values are bytes: characters outside ASCII travel percent-encoded (URL parsing decodes them again).
      res.writeHead(302, { location: to.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)) });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"reached":"allowed"}');
  });
  aliasSibling = await counted('127.0.0.2', allowedServer.port);
  if (netnsAvailable()) ns = await createNetnsHost(1, [NS_FORBIDDEN_PORT, NS_CONTROL_PORT]);
  const ports = [loop1.port, loop2.port, loop6.port, any.port, NS_FORBIDDEN_PORT, allowedServer.port];
  names = {
    'loop.allowed.test': ['127.0.0.1'],
    'alias.allowed.test': ['127.0.0.2'],
    'loop6.allowed.test': ['::1'],
    'mapped.allowed.test': ['::ffff:127.0.0.1'],
    'zero.allowed.test': ['0.0.0.0'],
    'unspecified6.allowed.test': ['::'],
    'mixed.allowed.test': ['8.8.8.8', '127.0.0.1'], // one public answer does not carry a forbidden one
    'meta.allowed.test': ['169.254.169.254'],
    'host.allowed.test': ['192.0.2.2'],
    'nat64.allowed.test': ['64:ff9b::7f00:1'],
    ...(ns === null ? {} : { 'ns.allowed.test': [ns.v4], 'ns6.allowed.test': [ns.v6], 'internal.allowed.test': [ns.v4] }),
  };
  policy = compileEgressPolicy([
    { id: 'allowed-server', host: '127.0.0.1', ports: [allowedServer.port], schemes: ['http'] },
    { id: 'allowed-names', host: '*.allowed.test', ports },
    ...(ns === null ? [] : [{ id: 'ns-internal', host: 'internal.allowed.test', ports: [NS_CONTROL_PORT], addresses: [ns.v4Subnet] }]),
    { id: 'rebind', host: 'rebind.allowed.test', ports: [allowedServer.port], addresses: ['127.0.0.1/32'] },
  ]);
});

after(() => {
  for (const entry of [...forbidden, allowedServer, aliasSibling]) {
    entry?.server.closeAllConnections();
    entry?.server.close();
  }
  ns?.close();
});

function forbiddenUrls(): string[] {
  const [loop1, loop2, loop6, any] = forbidden as [Counted, Counted, Counted, Counted];
  const authority = `127.0.0.1:${allowedServer.port}`;
  const urls = [
    ...urlForms(ipv4Spellings('127.0.0.1'), loop1.port, authority),
    ...urlForms(ipv4Spellings('127.0.0.2'), loop2.port, authority),
    ...urlForms(ipv4Spellings('127.0.0.1'), any.port, authority),
    ...urlForms(ipv4Spellings('0.0.0.0'), any.port, authority),
    ...urlForms(ipv4Spellings('192.0.2.2'), any.port, authority),
    ...urlForms(ipv4Spellings('127.255.255.254'), any.port, authority),
    ...urlForms(ipv6Spellings('::1'), loop6.port, authority),
    ...urlForms(ipv6Spellings('::1'), any.port, authority),
    ...urlForms(ipv6Spellings('::'), any.port, authority),
    ...urlForms(ipv6Spellings('fd00::2'), any.port, authority),
    ...urlForms(['localhost', 'LOCALHOST', 'localhost.', 'LocalHost.'], loop1.port, authority),
    ...urlForms(['localhost', 'ip6-localhost'], any.port, authority),
    // The allowlisted address, on ports the rule does not name.
    ...[loop1.port, any.port].flatMap((port) => ipv4Spellings('127.0.0.1').map((h) => `http://${h}:${port}/`)),
    // Allowlisted names that resolve to forbidden addresses.
    ...Object.keys(names)
      .filter((n) => n !== 'internal.allowed.test')
      .flatMap((name) => forbidden.flatMap((f) => [`http://${name}:${f.port}/`, `https://${name.toUpperCase()}:${f.port}/`])),
    // Schemes that are not http(s).
    `ftp://127.0.0.1:${loop1.port}/`,
    `file:///etc/passwd`,
    `gopher://127.0.0.1:${loop1.port}/_GET`,
    `ws://127.0.0.1:${loop1.port}/`,
  ];
  if (ns !== null) {
    urls.push(...urlForms(ipv4Spellings(ns.v4), NS_FORBIDDEN_PORT, authority));
    urls.push(...urlForms(ipv4Spellings(ns.v4), NS_CONTROL_PORT, authority)); // right port, but by address: no rule names it
    urls.push(...urlForms(ipv6Spellings(ns.v6), NS_FORBIDDEN_PORT, authority));
    urls.push(...urlForms(ipv6Spellings(ns.v6), NS_CONTROL_PORT, authority));
    for (const host of ['ns.allowed.test', 'ns6.allowed.test']) urls.push(`http://${host}:${NS_FORBIDDEN_PORT}/`, `http://${host}:${NS_CONTROL_PORT}/`);
  }
  return [...new Set(urls)];
}

async function forbiddenConnections(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  forbidden.forEach((f, i) => {
    out[`loopback-${i}:${f.port}`] = f.connections;
  });
  out[`127.0.0.2:${aliasSibling.port}`] = aliasSibling.connections;
  if (ns !== null) out[`netns:${NS_FORBIDDEN_PORT}`] = (await ns.connections())[String(NS_FORBIDDEN_PORT)] ?? -1;
  return out;
}

function zeroes(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));
}

test('network namespaces are available here (else the test says so and uses loopback aliases only)', (t) => {
  if (ns === null) t.diagnostic('ip netns is not available: namespace hosts skipped, loopback aliases still tested');
  assert.ok(ns !== null || !netnsAvailable());
});

test('at least 500 forbidden URL forms, sent directly: every one refused with a reason and a rule, no connection made', async (t) => {
  const urls = forbiddenUrls();
  assert.ok(urls.length >= 500, `only ${urls.length} forms`);
  const reasons = new Map<string, number>();
  for (const url of urls) {
    const hops: EgressHop[] = [];
    const egressFetch = createEgressFetch({ policy, resolver: resolverFor(names), onRecord: (h) => hops.push(h) });
    const error = await egressFetch(url).then(
      () => assert.fail(`reached ${url}`),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AirlockError, `${url}: ${String(error)}`);
    assert.equal(error.code, 'ERR_EGRESS_DENIED', url);
    assert.match(String(error.details?.reason), /^egress\./, url);
    assert.match(String(error.details?.rule), /^builtin\.egress_/, url);
    assert.deepEqual(hops.map((h) => [h.allowed, h.bytes_out]), [[false, 0]], url);
    reasons.set(String(error.details?.reason), (reasons.get(String(error.details?.reason)) ?? 0) + 1);
  }
  const counts = await forbiddenConnections();
  assert.deepEqual(counts, zeroes(counts));
  // The forms exercised every kind of refusal, not one catch-all.
  for (const reason of ['egress.not_allowlisted', 'egress.forbidden_address', 'egress.metadata_address', 'egress.userinfo', 'egress.scheme']) {
    assert.ok((reasons.get(reason) ?? 0) > 0, `no form was refused as ${reason}: ${JSON.stringify([...reasons])}`);
  }
  t.diagnostic(`forms: ${urls.length}, refusals: ${JSON.stringify(Object.fromEntries(reasons))}`);
});

test('the same forms as redirect targets of an allowlisted server: each redirect re-checked and refused', async () => {
  const urls = forbiddenUrls().filter((u) => u.startsWith('http'));
  const before = allowedServer.connections;
  for (const url of urls) {
    const egressFetch = createEgressFetch({ policy, resolver: resolverFor(names) });
    const start = `http://127.0.0.1:${allowedServer.port}/r?to=${encodeURIComponent(url)}`;
    await assert.rejects(egressFetch(start), (e: AirlockError) => e.code === 'ERR_EGRESS_DENIED' && e.details?.hop === 1, url);
  }
  assert.equal(allowedServer.connections - before, urls.length, 'each first hop reached the allowed server');
  const counts = await forbiddenConnections();
  assert.deepEqual(counts, zeroes(counts));
});

test('through the HTTP connector: the forbidden forms it accepts as templates are refused, the allowed controls are reached', async () => {
  const tool = new ToolRegistry([toolDef()]).get('crm.getCustomer')!;
  const call = () => ({ tool, arguments: {}, principal: alice, actionId: 'act_e', idempotencyKey: 'idem_e', signal: new AbortController().signal });
  let tried = 0;
  for (const url of forbiddenUrls()) {
    let connector: HttpConnector;
    try {
      connector = new HttpConnector({ type: 'http', method: 'GET', url }, { egress: policy, egressResolver: resolverFor(names) });
    } catch {
      continue; // a template the connector itself refuses (credentials, scheme, no path) never runs
    }
    tried++;
    await assert.rejects(connector.execute(call()), { code: 'ERR_EGRESS_DENIED' }, url);
  }
  assert.ok(tried >= 400, `only ${tried} forms were valid templates`);
  const counts = await forbiddenConnections();
  assert.deepEqual(counts, zeroes(counts));
  // Controls: the allowlisted address in another spelling, and a name rule naming the namespace's subnet.
  const before = allowedServer.connections;
  for (const host of ['127.0.0.1', '2130706433', '0x7f.1', '[::ffff:127.0.0.1]']) {
    const connector = new HttpConnector({ type: 'http', method: 'GET', url: `http://${host}:${allowedServer.port}/ok` }, { egress: policy });
    assert.deepEqual(await connector.execute(call()), { reached: 'allowed' }, host);
  }
  assert.equal(allowedServer.connections - before, 4);
  if (ns !== null) {
    const connector = new HttpConnector({ type: 'http', method: 'GET', url: `http://internal.allowed.test:${NS_CONTROL_PORT}/ok` }, { egress: policy, egressResolver: resolverFor(names) });
    assert.deepEqual(await connector.execute(call()), { reached: true });
    assert.equal((await ns.connections())[String(NS_CONTROL_PORT)], 1);
  }
});

test('DNS rebinding: the connection goes to the address that was checked, never to a second answer', async () => {
  let lookups = 0;
  // First answer: an address the rule names; every later answer: a forbidden one.
  const rebinding: EgressResolver = async () => {
    lookups++;
    return [{ address: lookups === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
  };
  const beforeAllowed = allowedServer.connections;
  const egressFetch = createEgressFetch({ policy, resolver: rebinding });
  const response = await egressFetch(`http://rebind.allowed.test:${allowedServer.port}/ok`);
  assert.deepEqual(await response.json(), { reached: 'allowed' });
  assert.equal(lookups, 1, 'one lookup per hop: the socket never resolves again');
  assert.equal(allowedServer.connections - beforeAllowed, 1);
  assert.equal(aliasSibling.connections, 0);

  // A redirect is a new hop: resolved and checked again, and now the answer is forbidden.
  const redirecting = createEgressFetch({ policy, resolver: rebinding });
  await assert.rejects(redirecting(`http://127.0.0.1:${allowedServer.port}/r?to=${encodeURIComponent(`http://rebind.allowed.test:${allowedServer.port}/`)}`), (e: AirlockError) => {
    assert.equal(e.details?.reason, 'egress.forbidden_address');
    assert.equal(e.details?.address, '127.0.0.2');
    return true;
  });
  assert.equal(aliasSibling.connections, 0);

  // Control: a client that resolves again at connect time (as a check-then-fetch guard would) is rebound.
  const naive = await fetch(`http://127.0.0.2:${allowedServer.port}/`);
  await naive.arrayBuffer();
  assert.equal(aliasSibling.connections, 1, 'the sibling server is reachable: the zero above is meaningful');
  aliasSibling.connections = 0;
});
