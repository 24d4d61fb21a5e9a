/**
 * The approval notification webhook, wired from config: a held call makes the gateway POST a
 * signed, summary-only `approval.requested` message to the configured receiver (verified here
 * with the shipped `verifyWebhookSignature`), after the hold is on the audit record. A receiver
 * that refuses is reported to the operator's failure hook; the hold itself stands either way.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '../../src/approvals/index.ts';
import type { AirlockError } from '../../src/core/errors.ts';
import type { DemoFixture } from '../support/demo.ts';
import { startDemo } from '../support/demo.ts';
import { recordSecret } from '../support/leak-scan.ts';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function receiver(status: () => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/airlock`, received };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('approval notification webhook', () => {
  // Secret files are text (trimmed, used as UTF-8 bytes), as every secret reference.
  const secretText = randomBytes(32).toString('base64url');
  const secret = new TextEncoder().encode(secretText);
  const keyDir = mkdtempSync(join(tmpdir(), 'airlock-webhook-'));
  const keyFile = join(keyDir, 'webhook.key');
  writeFileSync(keyFile, `${secretText}\n`);
  recordSecret('webhook secret', secretText);
  let status = 204;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let fx: DemoFixture;
  const failures: AirlockError[] = [];

  before(async () => {
    hook = await receiver(() => status);
    fx = await startDemo({
      configure: (c) => ({ ...c, approvals: { ...c.approvals, notify: { url: hook.url, secret: `file:${keyFile}`, retries: 0 } } }),
      onNotifyFailure: (error) => failures.push(error),
    });
  });
  after(async () => {
    await fx.close();
    hook.server.close();
  });

  test('a held call is announced with a signed, summary-only message', async () => {
    const held = await fx.gateway.execute({
      token: fx.tokens.sam,
      session_id: await fx.session(fx.tokens.sam),
      tool: 'email.send',
      arguments: { to: 'partner@elsewhere.example', subject: 'contract', body: 'the confidential draft terms' },
    });
    assert.equal(held.status, 'approval_required');
    await until(() => hook.received.length === 1);
    const [message] = hook.received;
    assert.ok(message);
    const verdict = verifyWebhookSignature({
      secret,
      body: message.body,
      timestamp: message.headers[WEBHOOK_HEADERS.timestamp] as string,
      signature: message.headers[WEBHOOK_HEADERS.signature] as string,
    });
    assert.equal(verdict.valid, true);
    const body = JSON.parse(message.body) as Record<string, unknown>;
    assert.equal(body.type, 'approval.requested');
    assert.equal(body.approval_id, held.status === 'approval_required' ? held.approval_id : '');
    assert.equal(body.required_role, 'support-lead');
    assert.deepEqual(body.requester, { user: 'sam', agent: 'support-agent' });
    assert.ok(!message.body.includes('confidential draft terms'), 'argument values never leave in a notification');
    assert.ok(!message.body.includes(fx.tokens.sam), 'nor the caller token');
    const forged = verifyWebhookSignature({ secret: randomBytes(32), body: message.body, timestamp: message.headers[WEBHOOK_HEADERS.timestamp] as string, signature: message.headers[WEBHOOK_HEADERS.signature] as string });
    assert.equal(forged.valid, false, 'a receiver with another secret rejects it');
  });

  test('a refusing receiver is reported; the hold stands and no call is announced twice', async () => {
    status = 400;
    const held = await fx.gateway.execute({ token: fx.tokens.sam, session_id: await fx.session(fx.tokens.sam), tool: 'billing.refund', arguments: { customer_id: 'cus_acme_grace', amount: 500 } });
    assert.equal(held.status, 'approval_required');
    await until(() => failures.length === 1);
    assert.equal(failures[0]?.code, 'ERR_APPROVAL_NOTIFY_REJECTED');
    assert.equal(hook.received.length, 2);
    const listed = await fx.gateway.listApprovals(fx.tokens.fin, 'pending');
    assert.ok(listed.some((a) => held.status === 'approval_required' && a.id === held.approval_id));
  });
});
