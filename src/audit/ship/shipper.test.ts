import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import fc from 'fast-check';
import type { AuditEvent } from '../../core/types.ts';
import { MemoryAuditStore } from '../memory-store.ts';
import { sampleEventInput } from '../store.contract.ts';
import { MemoryShipCursorStore } from './memory-cursors.ts';
import { AuditShipper, type ShipDestination } from './shipper.ts';
import { syslogDestination } from './syslog-destination.ts';
import { unframe } from './syslog.ts';

async function logOf(n: number): Promise<MemoryAuditStore> {
  const store = new MemoryAuditStore({ clock: { now: () => Date.now() } });
  for (let i = 0; i < n; i++) {
    await store.append([sampleEventInput()]);
  }
  return store;
}

/** A stream destination whose connection the test opens and breaks; `read` is what the receiver kept. */
function streamDestination() {
  let generation = 1;
  const read: number[] = [];
  let inFlight: number[] = [];
  let fail = false;
  const destination: ShipDestination & { breakConnection(lostUnread: boolean): void; failNext(): void; read: number[] } = {
    read,
    async send(events: AuditEvent[]) {
      if (fail) {
        fail = false;
        generation++;
        throw new Error('connection reset');
      }
      inFlight.push(...events.map((e) => e.seq));
    },
    generation: () => generation,
    async close() {},
    breakConnection(lostUnread) {
      if (!lostUnread) read.push(...inFlight);
      inFlight = [];
      generation++;
    },
    failNext() {
      fail = true;
    },
  };
  const deliver = () => {
    read.push(...inFlight);
    inFlight = [];
  };
  return { destination, deliver };
}

test('a batch counts only once its connection held for confirmMs; a broken connection resends from the cursor', async () => {
  const audit = await logOf(10);
  const cursors = new MemoryShipCursorStore();
  let now = 0;
  const { destination, deliver } = streamDestination();
  const shipper = new AuditShipper({ name: 's', audit, cursors, destination, batchSize: 4, confirmMs: 1_000, now: () => now });
  assert.deepEqual(await shipper.shipBatch(), { shipped: 4, cursor: 0, pending: 1 });
  assert.deepEqual(await shipper.shipBatch(), { shipped: 4, cursor: 0, pending: 2 });
  // The receiver dies with the second batch unread: nothing was confirmed, so all of it comes again.
  destination.breakConnection(true);
  now += 5_000;
  const again = await shipper.shipBatch();
  assert.deepEqual(again, { shipped: 4, cursor: 0, pending: 1 }, 'sent again from seq 1');
  deliver();
  now += 1_000;
  await shipper.shipBatch();
  assert.equal(await cursors.get('s'), 4, 'confirmed once the connection held');
});

// The assumption the confirmation rests on: a receiver whose connection stays open reads what
// reached it within confirmMs (a tick delivers what is in flight); one that dies closes it.
test('whatever breaks when, the receiver ends with every event and the cursor never passes one it did not read', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom('ship', 'tick', 'break-lost', 'break-read', 'fail', 'deliver'), { minLength: 5, maxLength: 60 }), async (script) => {
      const audit = await logOf(12);
      const cursors = new MemoryShipCursorStore();
      let now = 0;
      const { destination, deliver } = streamDestination();
      const shipper = new AuditShipper({ name: 's', audit, cursors, destination, batchSize: 3, confirmMs: 100, now: () => now });
      for (const step of script) {
        if (step === 'ship') await shipper.shipBatch().catch(() => undefined);
        else if (step === 'tick') {
          deliver();
          now += 150;
        }
        else if (step === 'break-lost') destination.breakConnection(true);
        else if (step === 'break-read') destination.breakConnection(false);
        else if (step === 'fail') destination.failNext();
        else deliver();
        const cursor = await cursors.get('s');
        for (let seq = 1; seq <= cursor; seq++) assert.ok(destination.read.includes(seq), `the cursor is at ${cursor} but seq ${seq} was never read`);
      }
      // Then a healthy connection: everything arrives.
      for (let i = 0; i < 20; i++) {
        await shipper.shipBatch().catch(() => undefined); // a failure still armed fails once
        deliver();
        now += 150;
      }
      assert.equal(await cursors.get('s'), 12);
      assert.deepEqual([...new Set(destination.read)].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
    }),
    { numRuns: 200 },
  );
});

/** The log as the shipper reads it, with a hook that runs while a batch is being read. */
function readingLog(audit: MemoryAuditStore) {
  let onRead: (() => void | Promise<void>) | null = null;
  return {
    log: {
      async read(query: { fromSeq?: number; limit?: number }) {
        const hook = onRead;
        onRead = null;
        await hook?.();
        return audit.read(query);
      },
    },
    duringNextRead(hook: () => void | Promise<void>) {
      onRead = hook;
    },
  };
}

test('a connection that breaks while the next batch is read: the batches sent on it go again', async () => {
  const audit = await logOf(8);
  const cursors = new MemoryShipCursorStore();
  let now = 0;
  const { destination, deliver } = streamDestination();
  const { log, duringNextRead } = readingLog(audit);
  const shipper = new AuditShipper({ name: 's', audit: log, cursors, destination, batchSize: 4, confirmMs: 1_000, now: () => now });
  await shipper.shipBatch(); // seqs 1..4 on the first connection
  // The receiver dies with 1..4 unread after the shipper confirmed nothing, while it reads 5..8.
  duringNextRead(() => destination.breakConnection(true));
  await shipper.shipBatch(); // 5..8 go over the next connection
  for (let i = 0; i < 4; i++) {
    await shipper.shipBatch();
    deliver();
    now += 1_000;
  }
  const cursor = await cursors.get('s');
  assert.equal(cursor, 8);
  for (let seq = 1; seq <= 8; seq++) assert.ok(destination.read.includes(seq), `seq ${seq} was never read`);
});

test('over TCP: a receiver that drops its first connection unread while the next batch is read still gets every event', async () => {
  const audit = await logOf(8);
  const received = new Set<number>();
  const connections: Socket[] = [];
  const server = createServer((socket) => {
    connections.push(socket);
    // The first connection is never read (the receiver dies with it); later ones are.
    if (connections.length === 1) {
      socket.pause();
      return;
    }
    let rest: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const parsed = unframe(Buffer.concat([rest, chunk]));
      rest = parsed.rest;
      for (const message of parsed.messages) received.add((JSON.parse(message.slice(message.indexOf('\uFEFF') + 1)) as AuditEvent).seq);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  const destination = syslogDestination({ url: `tcp://127.0.0.1:${port}` }, { hostname: 'gw', appName: 'airlock', procId: '1', version: 't' });
  const { log, duringNextRead } = readingLog(audit);
  const cursors = new MemoryShipCursorStore();
  let now = 0;
  const shipper = new AuditShipper({ name: 'tcp', audit: log, cursors, destination, batchSize: 4, confirmMs: 1_000, now: () => now });
  try {
    await shipper.shipBatch(); // 1..4 on the first connection
    duringNextRead(async () => {
      const before = destination.sink.generation;
      (connections[0] as Socket).destroy();
      while (destination.sink.generation === before) await new Promise((done) => setTimeout(done, 5));
    });
    await shipper.shipBatch(); // 5..8 on a new connection
    for (let i = 0; i < 50 && (received.size < 8 || (await cursors.get('tcp')) < 8); i++) {
      now += 1_000;
      await shipper.shipBatch();
      await new Promise((done) => setTimeout(done, 20));
    }
    assert.equal(await cursors.get('tcp'), 8);
    assert.deepEqual([...received].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8], 'every event up to the cursor reached the receiver');
  } finally {
    await shipper.stop();
    for (const socket of connections) socket.destroy();
    await new Promise((done) => server.close(done));
  }
});

test('breaks between batches or while one is read: the cursor never passes an event the receiver did not read', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom('ship', 'tick', 'break-lost', 'break-lost-in-read', 'break-read-in-read', 'fail', 'deliver'), { minLength: 5, maxLength: 60 }),
      async (script) => {
        const audit = await logOf(12);
        const cursors = new MemoryShipCursorStore();
        let now = 0;
        const { destination, deliver } = streamDestination();
        const { log, duringNextRead } = readingLog(audit);
        const shipper = new AuditShipper({ name: 's', audit: log, cursors, destination, batchSize: 3, confirmMs: 100, now: () => now });
        for (const step of script) {
          if (step === 'ship') await shipper.shipBatch().catch(() => undefined);
          else if (step === 'tick') {
            deliver();
            now += 150;
          } else if (step === 'break-lost') destination.breakConnection(true);
          else if (step === 'break-lost-in-read') duringNextRead(() => destination.breakConnection(true));
          else if (step === 'break-read-in-read') duringNextRead(() => destination.breakConnection(false));
          else if (step === 'fail') destination.failNext();
          else deliver();
          const cursor = await cursors.get('s');
          for (let seq = 1; seq <= cursor; seq++) assert.ok(destination.read.includes(seq), `the cursor is at ${cursor} but seq ${seq} was never read`);
        }
        for (let i = 0; i < 20; i++) {
          await shipper.shipBatch().catch(() => undefined);
          deliver();
          now += 150;
        }
        assert.equal(await cursors.get('s'), 12);
        assert.deepEqual([...new Set(destination.read)].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1));
      },
    ),
    { numRuns: 200 },
  );
});

test('a destination that acknowledges (no generation) advances the cursor at once; a failed send leaves it', async () => {
  const audit = await logOf(5);
  const cursors = new MemoryShipCursorStore();
  const got: number[] = [];
  let failing = true;
  const destination: ShipDestination = {
    async send(events) {
      if (failing) throw new Error('503 from the collector');
      got.push(...events.map((e) => e.seq));
    },
    async close() {},
  };
  const shipper = new AuditShipper({ name: 'ack', audit, cursors, destination, batchSize: 2 });
  await assert.rejects(shipper.shipBatch(), /503/);
  assert.equal(await cursors.get('ack'), 0);
  failing = false;
  assert.deepEqual(await shipper.drain(), { shipped: 5, cursor: 5 });
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
});
