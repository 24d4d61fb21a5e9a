/**
 * Audit shipping to a SIEM over real sockets: a syslog receiver on TCP and one on TLS (a CA the
 * test makes with openssl). Every committed event arrives, in order, as an RFC 5424 message
 * whose body re-verifies as a hash chain; a receiver that drops the connection costs no event
 * (the shipper resends from its cursor); a restarted shipper resumes from the stored cursor;
 * a receiver it cannot trust is reported and nothing advances.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { verifyChain } from '../../src/audit/index.ts';
import { unframe } from '../../src/audit/ship/index.ts';
import type { AuditEvent } from '../../src/core/types.ts';
import { openStandaloneShipper } from '../../src/pipeline/index.ts';
import { eventually } from '../mcp/support.ts';
import { startDemo, type DemoFixture } from '../support/demo.ts';

interface Receiver {
  url: string;
  messages: string[];
  connections: number;
  /** Closes every open connection (the receiver restarts; the listener stays). */
  dropConnections(): void;
  close(): Promise<void>;
}

function collect(onSocket: (socket: Socket) => void, messages: string[]) {
  return (socket: Socket) => {
    onSocket(socket);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      const parsed = unframe(Buffer.concat([pending, data]));
      messages.push(...parsed.messages);
      pending = parsed.rest;
    });
    socket.on('error', () => undefined);
  };
}

async function listen(server: Server, scheme: 'tcp' | 'tls', state: { messages: string[]; sockets: Set<Socket>; connections: number }): Promise<Receiver> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    messages: state.messages,
    get connections() {
      return state.connections;
    },
    dropConnections: () => {
      for (const s of state.sockets) s.destroy();
    },
    close: () =>
      new Promise((done) => {
        for (const s of state.sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

async function tcpReceiver(): Promise<Receiver> {
  const state = { messages: [] as string[], sockets: new Set<Socket>(), connections: 0 };
  const onSocket = (s: Socket) => {
    state.connections++;
    state.sockets.add(s);
    s.on('close', () => state.sockets.delete(s));
  };
  return listen(createTcpServer(collect(onSocket, state.messages)), 'tcp', state);
}

/** The events a receiver got, parsed from each message's body (after the BOM). */
function received(receiver: Receiver): AuditEvent[] {
  return receiver.messages.map((m) => JSON.parse(m.slice(m.indexOf('\uFEFF') + 1)) as AuditEvent);
}

/** Seqs received, each once, in order from 1 with no gap (repeats allowed: at least once). */
function assertComplete(events: AuditEvent[], head: number): void {
  const seen = new Set<number>();
  let highest = 0;
  for (const e of events) {
    assert.ok(e.seq <= highest + 1, `seq ${e.seq} arrived after ${highest}: a gap`);
    highest = Math.max(highest, e.seq);
    seen.add(e.seq);
  }
  assert.equal(seen.size, head);
  assert.equal(highest, head);
}

async function callSome(fx: DemoFixture, n: number): Promise<void> {
  const session = await fx.session(fx.tokens.sam);
  for (let i = 0; i < n; i++) {
    await fx.gateway.execute({ token: fx.tokens.sam, session_id: session, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
  }
}

describe('audit shipping over TCP', () => {
  let receiver: Receiver;
  let fx: DemoFixture;
  const faults: string[] = [];

  before(async () => {
    receiver = await tcpReceiver();
    fx = await startDemo({
      configure: (c) => ({ ...c, auditShip: { name: 'siem', batchSize: 7, pollMs: 50, syslog: { url: receiver.url, appName: 'airlock-test', hostname: 'gw-test' } } }),
      onBackgroundFault: (what) => faults.push(what),
    });
  });
  after(async () => {
    await fx.close();
    await receiver.close();
  });

  const head = async () => (await fx.gateway.verifyAudit()).head?.seq ?? 0;

  test('every committed event arrives in order as RFC 5424, and the received bodies verify as a chain', async () => {
    await callSome(fx, 10);
    const last = await head();
    await eventually(() => new Set(received(receiver).map((e) => e.seq)).size >= last, 10_000, `${last} events shipped`);
    const events = received(receiver);
    assertComplete(events, last);
    assert.match(receiver.messages[0] ?? '', /^<1\d\d>1 \S+ gw-test airlock-test \d+ \S+ \[origin software="airlock"/);
    const report = await verifyChain((async function* () {
      yield* events.filter((e, i) => events.findIndex((f) => f.seq === e.seq) === i);
    })());
    assert.equal(report.ok, true, JSON.stringify(report.firstBad));
  });

  test('a receiver that drops the connection loses nothing: the shipper reconnects and resends from its cursor', async () => {
    const before = receiver.connections;
    receiver.dropConnections();
    await callSome(fx, 6);
    receiver.dropConnections();
    await callSome(fx, 6);
    const last = await head();
    await eventually(() => new Set(received(receiver).map((e) => e.seq)).size >= last, 15_000, `${last} events shipped after drops`);
    assertComplete(received(receiver), last);
    assert.ok(receiver.connections > before, 'it reconnected');
  });
});

describe('audit shipping: the cursor outlives the shipper; TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ship-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let tls: Receiver;
  let fx: DemoFixture;

  before(async () => {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=siem-ca');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'siem.key', '-out', 'siem.csr', '-subj', '/CN=siem');
    writeFileSync(join(dir, 'siem.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', 'siem.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'siem.crt', '-days', '2', '-extfile', 'siem.ext');
    const state = { messages: [] as string[], sockets: new Set<Socket>(), connections: 0 };
    const onSocket = (s: Socket) => {
      state.connections++;
      state.sockets.add(s);
      s.on('close', () => state.sockets.delete(s));
    };
    const server = createTlsServer({ cert: readFileSync(join(dir, 'siem.crt')), key: readFileSync(join(dir, 'siem.key')) }, collect(onSocket, state.messages));
    tls = await listen(server, 'tls', state);
    fx = await startDemo();
    await callSome(fx, 5);
  });
  after(async () => {
    await fx.close();
    await tls.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const shipTo = (ca: string | undefined) => ({ ...fx.config, auditShip: { name: 'siem-tls', batchSize: 4, pollMs: 50, syslog: { url: tls.url, appName: 'airlock', ...(ca === undefined ? {} : { ca }) } } });

  test('a receiver whose certificate the shipper cannot verify gets nothing, and the cursor stays', async () => {
    const faults: string[] = [];
    const { shipper, close } = await openStandaloneShipper(shipTo(undefined), { onFault: (what, error) => faults.push(`${what}: ${(error as Error).message}`) });
    try {
      await assert.rejects(shipper.drain(), /certificate/);
      shipper.start();
      await eventually(() => faults.length === 1, 5_000, 'the fault reported');
      assert.match(faults[0] ?? '', /siem-tls -> tls:\/\/127\.0\.0\.1/);
    } finally {
      await close();
    }
    assert.equal(tls.messages.length, 0);
  });

  test('over TLS with the CA configured; a second shipper resumes from the stored cursor', async () => {
    const first = await openStandaloneShipper(shipTo(join(dir, 'ca.crt')));
    const head = (await fx.gateway.verifyAudit()).head?.seq ?? 0;
    try {
      const shipped = await first.shipper.drain();
      assert.deepEqual(shipped, { shipped: head, cursor: head });
    } finally {
      await first.close();
    }
    await callSome(fx, 2);
    const newHead = (await fx.gateway.verifyAudit()).head?.seq ?? 0;
    const second = await openStandaloneShipper(shipTo(join(dir, 'ca.crt')));
    try {
      assert.deepEqual(await second.shipper.drain(), { shipped: newHead - head, cursor: newHead }, 'only the new events');
    } finally {
      await second.close();
    }
    await eventually(() => tls.messages.length >= newHead, 5_000, 'all messages read');
    assertComplete(received(tls), newHead);
    assert.equal(received(tls).length, newHead, 'nothing twice');
  });
});
