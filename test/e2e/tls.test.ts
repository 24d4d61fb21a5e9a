/**
 * `server.tls`: the gateway serves HTTPS only. With the CA trusted a request succeeds; an
 * untrusting client and a plain-HTTP client are refused. With `client_ca`, a client without a
 * certificate, or with one another CA signed, is refused in the handshake, and one signed by
 * that CA passes. Certificates are made for the test with `openssl`; `airlock serve` and
 * `airlock config check` are run as a user runs them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { startServer } from '../../src/server/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { CLI_MAIN, writeDemoConfig } from '../../scripts/demo-config.ts';
import { startDemo } from '../support/demo.ts';
import type { DemoFixture } from '../support/demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA, and a certificate it signs for `name` (EC P-256 keys). */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
}
function makeLeaf(name: string, ca: string, extensions: string): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(file(`${name}.ext`), `${extensions}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

before(() => {
  makeCa('ca');
  makeCa('other-ca');
  makeLeaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  makeLeaf('client', 'ca', 'extendedKeyUsage=clientAuth');
  makeLeaf('stranger', 'other-ca', 'extendedKeyUsage=clientAuth');
});
after(() => rmSync(dir, { recursive: true, force: true }));

type Answer = { status: number; body: string } | { error: string };

function get(url: string, options: RequestOptions = {}): Promise<Answer> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((done) => {
    const req = send(url, { ...options, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => done({ error: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

const ok = (answer: Answer) => 'status' in answer && answer.status === 200;

async function serveDemo(tls: { cert: string; key: string; clientCa?: string }): Promise<{ demo: DemoFixture; server: RunningServer }> {
  const demo = await startDemo({ configure: (c) => ({ ...c, server: { ...c.server, tls } }) });
  return { demo, server: await startServer(demo.gateway, { host: '127.0.0.1', port: 0 }) };
}

describe('server.tls', () => {
  test('HTTPS with the CA trusted succeeds; without trusting it, or over plain HTTP, the request is refused', async () => {
    const { server } = await serveDemo({ cert: file('server.crt'), key: file('server.key') });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(file('ca.crt'));
      const trusted = await get(`${server.url}/healthz`, { ca });
      assert.ok(ok(trusted), JSON.stringify(trusted));
      assert.deepEqual(JSON.parse((trusted as { body: string }).body), { ok: true });

      const untrusted = await get(`${server.url}/healthz`);
      assert.ok('error' in untrusted, JSON.stringify(untrusted));
      const plain = await get(`${server.url.replace('https:', 'http:')}/healthz`);
      assert.ok(!ok(plain), JSON.stringify(plain));
      assert.ok('error' in plain, `plain HTTP was answered: ${JSON.stringify(plain)}`);
    } finally {
      await server.close();
    }
  });

  test('with client_ca: no client certificate or one of another CA is refused; one signed by the CA passes', async () => {
    const { server } = await serveDemo({ cert: file('server.crt'), key: file('server.key'), clientCa: file('ca.crt') });
    try {
      const ca = readFileSync(file('ca.crt'));
      const anonymous = await get(`${server.url}/healthz`, { ca });
      assert.ok('error' in anonymous, `a client without a certificate was answered: ${JSON.stringify(anonymous)}`);
      const stranger = await get(`${server.url}/healthz`, { ca, cert: readFileSync(file('stranger.crt')), key: readFileSync(file('stranger.key')) });
      assert.ok('error' in stranger, `a certificate of another CA was accepted: ${JSON.stringify(stranger)}`);
      const client = await get(`${server.url}/healthz`, { ca, cert: readFileSync(file('client.crt')), key: readFileSync(file('client.key')) });
      assert.ok(ok(client), JSON.stringify(client));
    } finally {
      await server.close();
    }
  });

  test('a missing certificate file fails the start naming its key and path', async () => {
    const demo = await startDemo({ configure: (c) => ({ ...c, server: { ...c.server, tls: { cert: file('nope.crt'), key: file('server.key') } } }) });
    try {
      await assert.rejects(startServer(demo.gateway, { host: '127.0.0.1', port: 0 }), (e: Error & { code?: string }) => e.code === 'ERR_CONFIG_TLS' && e.message.includes(`server.tls.cert: cannot read ${file('nope.crt')}`));
    } finally {
      await demo.close();
    }
  });

  test('config: relative paths resolve against the config file; a bad tls section points at its line', async () => {
    const home = mkdtempSync(join(dir, 'cfg-'));
    const config = writeDemoConfig(home);
    const text = readFileSync(config, 'utf8');
    writeFileSync(config, text.replace('server:\n', 'server:\n  tls: { cert: ../server.crt, key: ../server.key, client_ca: ../ca.crt }\n'));
    const loaded = await loadConfig(config);
    assert.deepEqual(loaded.server.tls, { cert: file('server.crt'), key: file('server.key'), clientCa: file('ca.crt') });

    const bad = text.replace('server:\n', 'server:\n  tls:\n    cert: ../server.crt\n    keyfile: ../server.key\n');
    writeFileSync(config, bad);
    const lineOf = (needle: string) => bad.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const r = spawnSync(process.execPath, [CLI_MAIN, 'config', 'check', '--config', config], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`airlock\\.yaml:${lineOf('keyfile:')}:\\d+ server\\.tls\\.keyfile: unknown key`));
    assert.match(r.stderr, new RegExp(`airlock\\.yaml:${lineOf('  tls:')}:\\d+ server\\.tls\\.key: is required`));
  });

  test('airlock serve listens with HTTPS; config check refuses a key that does not match the certificate', async () => {
    const home = mkdtempSync(join(dir, 'serve-'));
    const config = writeDemoConfig(home);
    const text = readFileSync(config, 'utf8');
    writeFileSync(config, text.replace('server:\n', `server:\n  tls: { cert: "${file('server.crt')}", key: "${file('server.key')}" }\n`));
    const check = spawnSync(process.execPath, [CLI_MAIN, 'config', 'check', '--config', config], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);

    const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n').find((l) => l.includes('"airlock listening"'));
          if (line !== undefined) done((JSON.parse(line) as { url: string }).url);
        });
        child.once('exit', (code) => fail(new Error(`serve exited ${code}`)));
      });
      assert.match(url, /^https:/);
      assert.ok(ok(await get(`${url}/healthz`, { ca: readFileSync(file('ca.crt')) })));
    } finally {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }

    writeFileSync(config, text.replace('server:\n', `server:\n  tls: { cert: "${file('server.crt')}", key: "${file('client.key')}" }\n`));
    const mismatch = spawnSync(process.execPath, [CLI_MAIN, 'config', 'check', '--config', config, '--json'], { encoding: 'utf8' });
    assert.equal(mismatch.status, 2);
    const problems = (JSON.parse(mismatch.stdout) as { error: { details: { problems: Array<{ check: string; at: string }> } } }).error.details.problems;
    assert.deepEqual(problems.map((p) => [p.check, p.at]), [['tls', 'server.tls']]);
  });
});
