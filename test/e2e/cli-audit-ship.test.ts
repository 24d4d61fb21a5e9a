/**
 * `airlock audit ship` as an operator runs it: the config's audit log shipped to a syslog
 * receiver over TCP with `--once`, the cursor kept in the state database between runs, and a
 * config without `audit.ship` refused with a clear error.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEventInput } from '../../src/audit/store.contract.ts';
import { unframe } from '../../src/audit/ship/index.ts';
import { SqliteAuditStore } from '../../src/stores/sqlite/index.ts';
import { writeDemoConfig } from '../../scripts/demo-config.ts';
import { runAirlock } from '../support/cli.ts';


describe('airlock audit ship', () => {
  let dir: string;
  let config: string;
  let plain: string;
  let server: Server;
  const messages: string[] = [];

  before(async () => {
    server = createServer((socket) => {
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (data: Buffer) => {
        const parsed = unframe(Buffer.concat([pending, data]));
        messages.push(...parsed.messages);
        pending = parsed.rest;
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as { port: number };
    dir = mkdtempSync(join(tmpdir(), 'airlock-ship-cli-'));
    plain = writeDemoConfig(dir);
    const text = readFileSync(plain, 'utf8');
    assert.match(text, /^audit:\n {2}type: sqlite\n/m);
    config = join(dir, 'shipping.yaml');
    writeFileSync(config, text.replace(/^audit:\n {2}type: sqlite\n/m, `audit:\n  type: sqlite\n  ship:\n    name: siem\n    syslog:\n      url: tcp://127.0.0.1:${port}\n      app_name: airlock-cli\n`));
    const store = SqliteAuditStore.open(join(dir, 'audit.db'), { clock: { now: () => Date.now() }, writer: 'inline' });
    try {
      await store.append([sampleEventInput(), sampleEventInput(), sampleEventInput()]);
    } finally {
      await store.close();
    }
  });
  after(() => new Promise<void>((done) => server.close(() => done())));

  test('--once ships the log and records the cursor; the next run ships only what is new', async () => {
    const first = await runAirlock(['audit', 'ship', '--config', config, '--once', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { shipped: 3, cursor: 3 });
    const again = await runAirlock(['audit', 'ship', '--config', config, '--once']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^shipped 0 events; the cursor is at seq 3$/m);

    const store = SqliteAuditStore.open(join(dir, 'audit.db'), { clock: { now: () => Date.now() }, writer: 'inline' });
    try {
      await store.append([sampleEventInput()]);
    } finally {
      await store.close();
    }
    const third = await runAirlock(['audit', 'ship', '--config', config, '--once', '--json']);
    assert.deepEqual(JSON.parse(third.stdout), { shipped: 1, cursor: 4 });
    assert.equal(messages.length, 4);
    assert.ok(messages.every((m) => / airlock-cli /.test(m)));
    assert.deepEqual(messages.map((m) => (JSON.parse(m.slice(m.indexOf('\uFEFF') + 1)) as { seq: number }).seq), [1, 2, 3, 4]);
  });

  test('a config without audit.ship is refused with what is missing (exit 2)', async () => {
    const r = await runAirlock(['audit', 'ship', '--config', plain, '--once']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ERR_AUDIT_SHIP_NOT_CONFIGURED: this config has no audit.ship section/);
  });
});
