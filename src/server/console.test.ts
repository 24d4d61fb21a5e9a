import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import type { AirlockConfig } from '../config/types.ts';
import { consoleCsp, mountConsole } from './console.ts';

const config = (console: AirlockConfig['server']['console']) => ({ identity: { audience: 'https://airlock.test/api' }, server: { console } }) as unknown as AirlockConfig;

function build(): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-console-build-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'export {};');
  writeFileSync(join(dir, 'assets', 'style-abc.css'), 'body{}');
  return dir;
}

function app(console: AirlockConfig['server']['console'], candidates: string[]): Hono {
  const hono = new Hono();
  mountConsole(hono, config(console), candidates);
  return hono;
}

test('serves the build with its content types, and index.html for client routes and the OIDC redirect', async () => {
  const hono = app({ enabled: true }, [join(tmpdir(), 'no-such-console-build'), build()]);
  const page = await hono.request('/console/?code=abc&state=xyz');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(await page.text(), /<title>console<\/title>/);
  assert.equal((await hono.request('/console/assets/index-abc.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await hono.request('/console/assets/style-abc.css')).headers.get('content-type'), 'text/css; charset=utf-8');
  assert.equal((await hono.request('/console/approvals')).status, 200, 'an extensionless path is a client route');
  assert.equal((await hono.request('/console/assets/missing.js')).status, 404);
});

test('never serves a file outside the build', async () => {
  const dir = build();
  writeFileSync(join(dir, '..', 'outside.txt'), 'secret');
  const hono = app({ enabled: true }, [dir]);
  for (const path of ['/console/../outside.txt', '/console/%2e%2e/outside.txt', '/console/assets/..%2f..%2foutside.txt', '/console/.hidden.js']) {
    const response = await hono.request(path);
    assert.ok(!(await response.text()).includes('secret'), path);
  }
});

test('answers 503 with the build command when the console was not built; nothing when it is disabled', async () => {
  const missing = app({ enabled: true }, [join(tmpdir(), 'no-such-console-build')]);
  const response = await missing.request('/console/');
  assert.equal(response.status, 503);
  assert.match(await response.text(), /npm run build:console/);
  assert.ok(response.headers.get('content-security-policy')?.startsWith("default-src 'none'"));
  const disabled = app({ enabled: false }, [build()]);
  assert.equal((await disabled.request('/console/')).status, 404);
  assert.equal((await disabled.request('/console/sign-in.json')).status, 404);
});

test('sign-in settings name the OIDC client and the audience, and the CSP lets the page reach that issuer only', async () => {
  const hono = app({ enabled: true, oidc: { issuer: 'https://login.example.com/realms/acme', clientId: 'airlock-console', scope: 'openid' } }, [build()]);
  const response = await hono.request('/console/sign-in.json');
  assert.deepEqual(await response.json(), { mode: 'oidc', issuer: 'https://login.example.com/realms/acme', client_id: 'airlock-console', scope: 'openid', audience: 'https://airlock.test/api' });
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /connect-src 'self' https:\/\/login\.example\.com;/);
  for (const forbidden of ['unsafe-inline', 'unsafe-eval', '*']) assert.ok(!csp.includes(forbidden), forbidden);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(consoleCsp('not a url').includes('connect-src \'self\';'), true);
});
