/**
 * The PostgreSQL fleet channel (policy reload announcements between replicas): delivery
 * between two pools of one schema whatever the length of the schema's name, and a listener
 * connection that stops answering is bounded (never a hang of the gateway's start), and one
 * that goes silent later is found by the heartbeat and replaced.
 */
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { FleetMessage } from '../../core/fleet.ts';
import { PostgresDatabase } from './database.ts';
import { fleetChannelName, PostgresFleetChannel } from './fleet-channel.ts';
import { deafeningProxy, TEST_POSTGRES_URL } from './test-support.ts';

/** A schema name of this run's own (no tables needed): its channel is heard by nobody else. */
const own = (length: number) => `zz_fleet_${randomBytes(4).toString('hex')}_`.padEnd(length, 'a');

async function until(what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Announces `message` from a direct pool until the channel under test (back again) receives it. */
async function deliversAgain(schema: string, received: FleetMessage[], message: FleetMessage): Promise<void> {
  const direct = PostgresDatabase.open({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
  try {
    const deadline = performance.now() + 8_000;
    while (received.length === 0) {
      if (performance.now() > deadline) throw new Error('the channel did not come back');
      await new PostgresFleetChannel(direct).announce(message);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(received[0], message);
  } finally {
    await direct.close();
  }
}

test('an announcement reaches the other replica for every valid schema name, the longest (63) included', async () => {
  // The channel needs no tables: the schema is only the name the channel derives from.
  for (const schema of [own(20), own(49), own(50), own(63)]) {
    const a = PostgresDatabase.open({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
    const b = PostgresDatabase.open({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
    const received: FleetMessage[] = [];
    const faults: unknown[] = [];
    const sub = await new PostgresFleetChannel(b).subscribe((m) => received.push(m), (e) => faults.push(e));
    try {
      const message: FleetMessage = { kind: 'policy.reloaded', version: `v-${schema.length}`, from: 'rpl_a' };
      await new PostgresFleetChannel(a).announce(message);
      await until(`schema of ${schema.length} chars: the announcement arrives`, () => received.length > 0, 5_000);
      assert.deepEqual(received, [message]);
      assert.deepEqual(faults, []);
      assert.ok(Buffer.byteLength(fleetChannelName(schema)) <= 63, 'a channel name PostgreSQL keeps whole');
    } finally {
      await sub.close();
      await a.close();
      await b.close();
    }
  }
  // Names that differ only past what fits stay apart.
  const long = (c: string) => `zz_fleet_${'x'.repeat(50)}${c}`;
  assert.notEqual(fleetChannelName(long('1')), fleetChannelName(long('2')));
});

test('a listener connection that stops answering: subscribe returns within the bound, reports the fault, and connects again', async () => {
  const proxy = await deafeningProxy('LISTEN');
  const schema = own(20);
  const db = PostgresDatabase.open({ url: proxy.url, schema, poolSize: 1, connectTimeoutMs: 500, statementTimeoutMs: 300 });
  const faults: unknown[] = [];
  const received: FleetMessage[] = [];
  let sub: { close(): Promise<void> } | undefined;
  try {
    const started = performance.now();
    sub = await Promise.race([
      new PostgresFleetChannel(db).subscribe((m) => received.push(m), (e) => faults.push(e)),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('subscribe still pending after 8 s: the LISTEN is unbounded')), 8_000).unref()),
    ]);
    assert.ok(performance.now() - started < 5_000);
    assert.equal(proxy.deafened, 1);
    assert.ok(faults.length >= 1, 'the unanswered LISTEN is reported');
    // The server answers again: the channel reconnects by itself and delivers.
    proxy.armed = false;
    await deliversAgain(schema, received, { kind: 'policy.reloaded', version: 'v2', from: 'rpl_b' });
  } finally {
    await sub?.close();
    await db.close();
    await proxy.close();
  }
});

test('a listening connection that goes silent after it listened is noticed by the heartbeat, replaced, and delivers again', async () => {
  const proxy = await deafeningProxy('SELECT 1');
  const schema = own(20);
  const db = PostgresDatabase.open({ url: proxy.url, schema, poolSize: 1, connectTimeoutMs: 500, statementTimeoutMs: 300 });
  const faults: unknown[] = [];
  const received: FleetMessage[] = [];
  const sub = await new PostgresFleetChannel(db, { heartbeatMs: 200 }).subscribe((m) => received.push(m), (e) => faults.push(e));
  try {
    assert.deepEqual(faults, [], 'the LISTEN itself was answered');
    // The connection now hears nothing (as a half-open one): only the heartbeat can tell.
    await until('the silent connection is reported', () => faults.length > 0, 8_000);
    assert.ok(proxy.deafened >= 1);
    proxy.armed = false;
    await deliversAgain(schema, received, { kind: 'policy.reloaded', version: 'v3', from: 'rpl_c' });
  } finally {
    await sub.close();
    await db.close();
    await proxy.close();
  }
});
