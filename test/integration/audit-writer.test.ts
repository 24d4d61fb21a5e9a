/**
 * The gateway's default audit writer (`auto`): a call that is alone in flight commits its
 * events on the calling thread; concurrent calls commit on the writer thread. Either way
 * every event is committed and the chain verifies.
 *
 * Where commits ran is counted by the store (`loopBatches`: on the event loop, `threadBatches`:
 * on the writer thread), never timed: under concurrency — another call in the pipeline, or
 * another request the HTTP door is still reading — no commit (no fsync) runs on the event loop.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { startDemo, startDemoServer } from '../support/demo.ts';

interface WriterCounts {
  threadBatches: number;
  loopBatches: number;
}

const DECIDE_BODY = JSON.stringify({ tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } });

function decideRequest(host: string, token: string, body: string): string {
  return (
    `POST /v1/decide HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`
  );
}

/**
 * Opens `n` connections and has each answer a first request (the server accepts one connection
 * per turn of its loop: established ones, as a loaded gateway's are, deliver together), then
 * sends a whole decide request on each, all in the same turn; resolves with the answers.
 */
async function decidesTogether(url: string, token: string, n: number): Promise<string[]> {
  const { hostname, port } = new URL(url);
  const sockets = await Promise.all(
    Array.from({ length: n }, async () => {
      const socket = connect(Number(port), hostname);
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const answered = new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.write(`GET /healthz HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`);
      await answered;
      return socket;
    }),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<string>((resolve) => {
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        socket.once('end', () => resolve(answer));
      }),
  );
  for (const socket of sockets) socket.write(`${decideRequest(`${hostname}:${port}`, token, DECIDE_BODY)}${DECIDE_BODY}`);
  return Promise.all(answers);
}

/** Opens a connection and sends a decide request's head and the first half of its body: the request waits in the parser. */
async function halfSentDecide(url: string, token: string): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const { hostname, port } = new URL(url);
  const body = DECIDE_BODY;
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  const half = Math.floor(body.length / 2);
  socket.write(`${decideRequest(`${hostname}:${port}`, token, body)}${body.slice(0, half)}`);
  return {
    socket,
    finish: async () => {
      socket.write(body.slice(half));
      await ended;
      return answer;
    },
  };
}

describe('audit writer (auto)', () => {
  it('commits a lone call inline and concurrent calls on the writer thread', async () => {
    // A call for this customer waits in its connector until released.
    let release: () => void = () => undefined;
    let arrive: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    const fx = await startDemo({
      configure: (c) => ({ ...c, limits: {} }),
      overrides: {
        connector: (_tool, base) => ({
          execute: async (c) => {
            if (c.arguments.customer_id === 'cus_acme_grace') {
              arrive();
              await held;
            }
            return base.execute(c);
          },
        }),
      },
    });
    const threadBatches = () => (fx.gateway.stats().audit as unknown as { threadBatches: number }).threadBatches;
    const call = () => fx.gateway.execute({ token: fx.tokens.fin, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } });
    try {
      // Concurrent calls until the writer thread has started and taken a batch.
      for (let round = 0; threadBatches() === 0; round++) {
        assert.ok(round < 200, 'the writer thread never took a batch of concurrent calls');
        const results = await Promise.all(Array.from({ length: 8 }, call));
        assert.ok(results.every((r) => r.status === 'executed'));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // The first lone append after company still goes to the thread (under load it is alone only
      // because the next requests are unread; src/stores/sqlite/audit/store.test.ts holds the
      // rule). Whether the last batch of the rounds above had company depends on how their calls
      // ended, so this call's intent went to the thread or not, and its result committed inline.
      const first = threadBatches();
      assert.equal((await call()).status, 'executed');
      assert.ok(threadBatches() - first <= 1, 'at most the intent after concurrent calls went to the thread, its result inline');
      const before = threadBatches();
      for (let i = 0; i < 10; i++) assert.equal((await call()).status, 'executed');
      assert.equal(threadBatches(), before, 'calls one at a time committed on the writer thread');
      // Another call in flight (held in its connector): a lone append goes to the thread.
      const waiting = fx.gateway.execute({ token: fx.tokens.fin, tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_grace' } });
      await arrived; // its intent is committed
      const beside = threadBatches();
      assert.equal((await call()).status, 'executed');
      assert.equal(threadBatches(), beside + 2, 'intent and result of a call beside another one');
      release();
      assert.equal((await waiting).status, 'executed');
      const verified = await fx.gateway.verifyAudit();
      assert.equal(verified.ok, true);
    } finally {
      await fx.close();
    }
  });

  it('a request still in the HTTP parser counts: decides beside it commit on the writer thread, never on the event loop', async () => {
    const fx = await startDemoServer({ configure: (c) => ({ ...c, limits: {} }) });
    const counts = () => fx.gateway.stats().audit as unknown as WriterCounts;
    // Tell the test when the door has taken a request in (the real count runs as before).
    const started: Array<() => void> = [];
    const requestStarted = fx.gateway.requestStarted.bind(fx.gateway);
    fx.gateway.requestStarted = () => {
      const finished = requestStarted();
      started.shift()?.();
      return finished;
    };
    const decide = () => fx.post('/v1/decide', { tool: 'crm.getCustomer', arguments: { customer_id: 'cus_acme_ada' } }, fx.tokens.fin);
    let held: { socket: Socket; finish(): Promise<string> } | null = null;
    try {
      // Concurrent decides until the writer thread has started and taken a batch.
      for (let round = 0; counts().threadBatches === 0; round++) {
        assert.ok(round < 200, 'the writer thread never took a batch of concurrent decides');
        const results = await Promise.all(Array.from({ length: 8 }, decide));
        assert.ok(results.every((r) => r.status === 200));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      // One at a time: each decide is alone, its commit runs on the event loop (no hand-off),
      // from the second on. The first goes to the thread if the last batch of the rounds above
      // had company (src/stores/sqlite/audit/store.test.ts holds the rule), which depends on how
      // their decides ended: one batch either way.
      const first = counts();
      assert.equal((await decide()).status, 200);
      assert.equal(counts().loopBatches + counts().threadBatches, first.loopBatches + first.threadBatches + 1);
      const alone = counts();
      for (let i = 0; i < 3; i++) assert.equal((await decide()).status, 200);
      assert.equal(counts().loopBatches, alone.loopBatches + 3, 'a lone decide commits on the event loop');
      assert.equal(counts().threadBatches, alone.threadBatches);

      // A request whose body is still arriving: it is in the parser, not in the pipeline.
      const inParser = new Promise<void>((resolve) => started.push(resolve));
      held = await halfSentDecide(fx.server.url, fx.tokens.fin);
      await inParser;
      const beside = counts();
      assert.equal((await decide()).status, 200);
      const results = await Promise.all(Array.from({ length: 8 }, decide));
      assert.ok(results.every((r) => r.status === 200));
      const after = counts();
      assert.equal(after.loopBatches, beside.loopBatches, 'no commit ran on the event loop while another request was in flight');
      assert.ok(after.threadBatches >= beside.threadBatches + 2, `decides beside a request in the parser committed on the writer thread (${after.threadBatches - beside.threadBatches} batches)`);

      // Its body arrives: it is answered after its own commit, and every event is in the chain.
      const answer = await held.finish();
      held = null;
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /"outcome":"allow"/);

      // Sixteen whole requests arriving together: none of their commits runs on the event loop,
      // however little the pipeline yields before its append.
      const together = counts();
      const answers = await decidesTogether(fx.server.url, fx.tokens.fin, 16);
      assert.ok(answers.every((a) => a.startsWith('HTTP/1.1 200 ')), answers.find((a) => !a.startsWith('HTTP/1.1 200 ')));
      assert.equal(counts().loopBatches, together.loopBatches, 'no commit ran on the event loop for requests that arrived together');
      assert.ok(counts().threadBatches > together.threadBatches);
      assert.equal((await fx.gateway.verifyAudit()).ok, true);
    } finally {
      held?.socket.destroy();
      await fx.close();
    }
  });
});
