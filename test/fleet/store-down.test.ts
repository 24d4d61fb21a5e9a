/**
 * The fleet's stores unreachable under load. The replicas reach PostgreSQL (and Redis)
 * through a TCP proxy the test cuts and restores, so the machine's servers, which other
 * tests share, keep running. While PostgreSQL is cut every call answers within a bound and is
 * refused (never executed, no side effect) and `ready()` says not ready; once it is back,
 * the same gateways serve again, report ready, and the audit log both wrote verifies. With
 * Redis cut, limited calls are refused with `limit.unavailable` and nothing executes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gateway } from '../../src/pipeline/index.ts';
import type { ToolCallResult } from '../../src/pipeline/call.ts';
import { TEST_POSTGRES_URL } from '../../src/stores/postgres/test-support.ts';
import { TEST_REDIS_URL } from '../../src/stores/redis/test-support.ts';
import { startFleet } from '../support/fleet.ts';

/** Longest any one call may take to answer, outage or not. */
const CALL_BOUND_MS = 10_000;
/** How long each outage lasts (past the kill-switch snapshot's 2 s staleness bound). */
const OUTAGE_MS = 3_500;

/** A TCP proxy to `target` that can be cut (connections destroyed, new ones refused) and restored. */
class CuttableProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#server = net.createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target.port, target.host);
      this.#sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this;
  }

  /** `url` with its host replaced by this proxy. */
  url(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function targetOf(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || defaultPort) };
}

/** The call's answer, or a rejection naming the call when it takes longer than the bound. */
async function bounded<T>(what: string, promise: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CALL_BOUND_MS} ms`)), CALL_BOUND_MS);
      }),
    ]);
    return { value, ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

interface Sample {
  subject: string;
  replica: number;
  startedAt: number;
  ms: number;
  /** The answer, or what the call rejected with (`thrown`: e.g. executed but its result not recorded). */
  result: ToolCallResult | { status: 'thrown'; decision: { code: string; reasons: Array<{ reason: string }> }; executed: boolean };
}

function thrown(error: unknown): Sample['result'] {
  const e = error as { code?: string; message?: string; details?: { executed?: boolean } };
  return { status: 'thrown', decision: { code: String(e.code ?? 'unknown'), reasons: [{ reason: String(e.message) }] }, executed: e.details?.executed === true };
}

/** Codes a call refused for a store it could not reach may carry (`state.unavailable`, `audit.unavailable`, `provenance.unavailable`, ...: whichever phase met the fault first), or the kill-switch snapshot's fail-closed refusal. */
const OUTAGE_CODES = /^(?:[a-z]+\.unavailable|killswitch\.state_unknown)$/;

const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
});

test('PostgreSQL unreachable under load: every call refused within the bound, no side effect, not ready; back without a restart', async () => {
  const proxy = await new CuttableProxy(targetOf(TEST_POSTGRES_URL, 5432)).start();
  closers.push(() => proxy.close());
  const fleet = await startFleet(2, {
    redis: false,
    postgres: { url: proxy.url(TEST_POSTGRES_URL), settings: { connect_timeout_ms: 500, statement_timeout_ms: 1000 } },
  });
  closers.push(() => fleet.close());
  const replicas = fleet.replicas as [Gateway, Gateway];
  const sam = await fleet.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
  const auditor = await fleet.token({ sub: 'audra', tenant: 'acme', roles: ['auditor'] });
  const session = (await replicas[0].createSession(sam, { customer_id: 'cus_acme_grace' })).session_id;

  // Steady load: each replica sends one mail after another; each mail's subject names the call.
  const samples: Sample[] = [];
  let stop = false;
  let n = 0;
  const loop = async (replica: number) => {
    while (!stop) {
      const subject = `load ${n++}`;
      const startedAt = performance.now();
      const answer = (replicas[replica] as Gateway)
        .execute({ token: sam, session_id: session, tool: 'email.send', arguments: { to: 'team@acme.example', subject, body: 'status' } })
        .then((r): Sample['result'] => r, thrown);
      const { value, ms } = await bounded(subject, answer);
      samples.push({ subject, replica, startedAt, ms, result: value });
      await sleep(5);
    }
  };
  const load = Promise.all([loop(0), loop(1)]);
  try {
    await sleep(500);
    const cutAt = performance.now();
    proxy.cut();
    await sleep(OUTAGE_MS);
    const during = await Promise.all(replicas.map((r, i) => bounded(`ready() of replica ${i}`, r.ready())));
    const restoredAt = performance.now();
    // The mails' own clock (sent_at is wall-clock, in whole ms): a mail sent after this was sent after the restore.
    const restoredWallMs = Date.now();
    proxy.restore();

    // Served again by the same gateways: wait until both replicas execute.
    const back = Date.now() + 30_000;
    const servedAgain = () => samples.filter((s) => s.startedAt > restoredAt && s.result.status === 'executed');
    while (new Set(servedAgain().map((s) => s.replica)).size < 2 || servedAgain().length < 10) {
      if (Date.now() >= back) {
        const codes = new Map<string, number>();
        for (const x of samples.filter((y) => y.startedAt > restoredAt)) {
          const key = `${x.replica} ${x.result.status} ${x.result.status === "failed" ? JSON.stringify(x.result.error) : ""} ${x.result.decision.code} ${x.result.decision.reasons[0]?.reason ?? ''}`;
          codes.set(key, (codes.get(key) ?? 0) + 1);
        }
        assert.fail(`the replicas never served again after PostgreSQL came back: ${JSON.stringify([...codes])}`);
      }
      await sleep(50);
    }
    stop = true;
    await load;

    const before = samples.filter((s) => s.startedAt + s.ms < cutAt);
    const outage = samples.filter((s) => s.startedAt > cutAt && s.startedAt + s.ms < restoredAt);
    assert.ok(before.length > 0 && before.every((s) => s.result.status === 'executed'), 'the load ran before the cut');
    assert.ok(outage.length >= 4 && new Set(outage.map((s) => s.replica)).size === 2, `calls on both replicas during the outage (${outage.length})`);
    const executed = outage.filter((s) => s.result.status === 'executed');
    assert.deepEqual(executed.map((s) => s.subject), [], 'nothing executed while PostgreSQL was unreachable');
    for (const s of outage) {
      assert.equal(s.result.status, 'denied', `${s.subject}: ${JSON.stringify(s.result)}`);
      assert.ok(OUTAGE_CODES.test(s.result.decision.code), `${s.subject}: refused with ${s.result.decision.code}`);
    }
    // No side effect, while PostgreSQL was unreachable, of any call started after the cut,
    // whatever its answer. A call that started during the outage and was still waiting for the
    // database when it came back may run then (its intent is durable first): its mail is sent
    // after the restore.
    const sent = new Set(fleet.desk.outbox.map((m) => m.subject));
    const sentAt = new Map(fleet.desk.outbox.map((m) => [m.subject, Date.parse(m.sent_at)]));
    const afterCut = samples.filter((s) => s.startedAt > cutAt && s.startedAt < restoredAt);
    assert.deepEqual(
      afterCut.filter((s) => (sentAt.get(s.subject) ?? Infinity) < restoredWallMs).map((s) => s.subject),
      [],
      'side effects of calls made during the outage, while it lasted',
    );
    // Every executed call (before, straddling the cut, after) has its mail, and only those:
    // a call that ran as the cut came may answer that its result could not be recorded.
    assert.deepEqual(
      [...sent].sort(),
      samples.filter((s) => s.result.status === 'executed' || (s.result.status === 'thrown' && s.result.executed)).map((s) => s.subject).sort(),
    );
    for (const [i, r] of during.entries()) {
      assert.equal(r.value.ready, false, `replica ${i} ready during the outage: ${JSON.stringify(r.value.checks)}`);
      assert.equal(r.value.checks.postgres, false);
    }
    const codes = new Map<string, number>();
    for (const s of outage) codes.set(s.result.decision.code, (codes.get(s.result.decision.code) ?? 0) + 1);
    const slowest = Math.round(Math.max(...samples.filter((s) => s.startedAt > cutAt && s.startedAt < restoredAt).map((s) => s.ms)));
    process.stdout.write(`# PostgreSQL cut ${Math.round(restoredAt - cutAt)} ms: ${outage.length} calls refused (${JSON.stringify([...codes])}), slowest answer ${slowest} ms\n`);

    for (const [i, r] of replicas.entries()) {
      let ready = await r.ready();
      const deadline = Date.now() + 15_000;
      while (!ready.ready && Date.now() < deadline) {
        await sleep(100);
        ready = await r.ready();
      }
      assert.equal(ready.ready, true, `replica ${i} not ready after PostgreSQL came back: ${JSON.stringify(ready.checks)}`);
      const result = await r.execute({ token: sam, session_id: session, tool: 'email.send', arguments: { to: 'team@acme.example', subject: `after ${i}`, body: 'status' } });
      assert.equal(result.status, 'executed', JSON.stringify(result));
    }
    const verified = await replicas[1].verifyAudit(auditor);
    assert.equal(verified.ok, true, JSON.stringify(verified.firstBad));
    // Every executed call is in it (calls refused during the outage could not be recorded: they were refused all the same).
    const executedCalls = samples.filter((s) => s.result.status === 'executed').length + replicas.length;
    assert.ok(verified.checked >= executedCalls, `the audit log holds the ${executedCalls} executed calls (${verified.checked} events)`);
  } finally {
    stop = true;
    proxy.restore();
    await load.catch(() => undefined);
  }
});

test('Redis unreachable: limited calls are refused with limit.unavailable and nothing executes; back when Redis is', async () => {
  const proxy = await new CuttableProxy(targetOf(TEST_REDIS_URL, 6379)).start();
  closers.push(() => proxy.close());
  const fleet = await startFleet(2, {
    limitsYaml: '  per_user: { window_seconds: 60, max: 100000 }',
    redisSettings: { url: proxy.url(TEST_REDIS_URL), settings: { command_timeout_ms: 300 } },
  });
  closers.push(() => fleet.close());
  const replicas = fleet.replicas as [Gateway, Gateway];
  const sam = await fleet.token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' });
  const session = (await replicas[0].createSession(sam, { customer_id: 'cus_acme_grace' })).session_id;
  const send = (i: number, subject: string) =>
    bounded(subject, (replicas[i % 2] as Gateway).execute({ token: sam, session_id: session, tool: 'email.send', arguments: { to: 'team@acme.example', subject, body: 'status' } }));

  for (let i = 0; i < 4; i++) assert.equal((await send(i, `before ${i}`)).value.status, 'executed');
  proxy.cut();
  const outbox = fleet.desk.outbox.length;
  const invocations = fleet.invocations();
  const refused = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i, `cut ${i}`)));
  for (const { value } of refused) {
    assert.equal(value.status, 'denied', JSON.stringify(value));
    assert.equal(value.decision.code, 'limit.unavailable');
  }
  assert.equal(fleet.desk.outbox.length, outbox, 'no mail sent while Redis was unreachable');
  assert.equal(fleet.invocations(), invocations, 'no tool ran');
  for (const r of replicas) {
    const ready = await r.ready();
    assert.equal(ready.ready, false);
    assert.equal(ready.checks.redis, false);
  }

  proxy.restore();
  for (const [i, r] of replicas.entries()) {
    let result = await send(i, `back ${i}`);
    const deadline = Date.now() + 15_000;
    while (result.value.status !== 'executed' && Date.now() < deadline) {
      await sleep(100);
      result = await send(i, `back ${i}`);
    }
    assert.equal(result.value.status, 'executed', `replica ${i} still refuses after Redis came back: ${result.value.decision.code}`);
    assert.equal((await r.ready()).ready, true);
  }
});
