import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
const OIDC_ISSUER = `    - issuer: https://login.example.com/realms/acme
      algorithms: [RS256]
      jwks_url: https://login.example.com/realms/acme/certs
`;
const withIssuer = demo.replace('policy:\n', `${OIDC_ISSUER}\npolicy:\n`);
const withConsole = (text: string, section: string) => text.replace('  port: 8787', `  port: 8787\n  console:\n${section}`);

type Invalid = { code: string; details: { errors: Array<{ path: string; message: string; line?: number }> } };

test('server.console defaults to enabled with token sign-in', () => {
  assert.deepEqual(parse(demo).server.console, { enabled: true });
});

test('server.console.oidc names an issuer of identity.issuers and a client; scope defaults to openid', () => {
  const config = parse(withConsole(withIssuer, '    oidc:\n      issuer: https://login.example.com/realms/acme\n      client_id: airlock-console\n'));
  assert.deepEqual(config.server.console, { enabled: true, oidc: { issuer: 'https://login.example.com/realms/acme', clientId: 'airlock-console', scope: 'openid' } });
  assert.equal(parse(withConsole(demo, '    enabled: false\n')).server.console.enabled, false);
});

test('an OIDC issuer the gateway does not verify, or one with a shared secret, is refused at its line', () => {
  for (const [text, message] of [
    [withConsole(demo, '    oidc:\n      issuer: https://elsewhere.example.com\n      client_id: airlock-console\n'), /must be one of identity.issuers/],
    [withConsole(demo, '    oidc:\n      issuer: https://dev.airlock.local\n      client_id: airlock-console\n'), /public keys/],
  ] as const) {
    assert.throws(
      () => parse(text),
      (error: Invalid) => {
        assert.equal(error.code, 'ERR_CONFIG_INVALID');
        const issue = error.details.errors.find((e) => e.path === 'server.console.oidc.issuer');
        assert.match(issue?.message ?? '', message);
        assert.equal(typeof issue?.line, 'number');
        return true;
      },
    );
  }
  assert.throws(() => parse(withConsole(demo, '    oidc:\n      issuer: https://dev.airlock.local\n')), { code: 'ERR_CONFIG_INVALID' });
  assert.throws(() => parse(withConsole(demo, '    theme: dark\n')), { code: 'ERR_CONFIG_INVALID' });
});
