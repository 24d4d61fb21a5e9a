import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
const withShip = (ship: string) => {
  assert.match(demo, /^audit:\n/m);
  return demo.replace(/^audit:\n/m, `audit:\n  ship:\n${ship}`);
};
const paths = (text: string): string[] => {
  try {
    parse(text);
  } catch (error) {
    return (error as { details: { errors: Array<{ path: string }> } }).details.errors.map((e) => e.path);
  }
  return [];
};

test('audit.ship: absent by default; syslog over tcp or tls with defaults and paths resolved against the config', () => {
  assert.equal(parse(demo).auditShip, undefined);
  assert.deepEqual(parse(withShip('    syslog:\n      url: tcp://siem.internal:514\n')).auditShip, {
    name: 'syslog',
    batchSize: 500,
    pollMs: 1000,
    syslog: { url: 'tcp://siem.internal:514', appName: 'airlock' },
  });
  const tls = parse(withShip('    name: splunk\n    batch_size: 100\n    poll_ms: 250\n    syslog:\n      url: tls://siem.example:6514\n      ca: certs/ca.pem\n      cert: /etc/airlock/client.pem\n      key: certs/client.key\n      app_name: gw\n      hostname: gw-eu-1\n')).auditShip;
  assert.deepEqual(tls, {
    name: 'splunk',
    batchSize: 100,
    pollMs: 250,
    syslog: { url: 'tls://siem.example:6514', ca: '/srv/airlock/certs/ca.pem', cert: '/etc/airlock/client.pem', key: '/srv/airlock/certs/client.key', appName: 'gw', hostname: 'gw-eu-1' },
  });
});

test('audit.ship refuses other schemes, TLS files on plain tcp, half a client certificate, and URLs with more than host:port', () => {
  assert.ok(paths(withShip('    syslog:\n      url: udp://siem:514\n')).includes('audit.ship.syslog.url'));
  assert.ok(paths(withShip('    syslog:\n      url: tcp://siem:514\n      ca: ca.pem\n')).includes('audit.ship.syslog.ca'));
  assert.ok(paths(withShip('    syslog:\n      url: tls://siem:6514\n      cert: c.pem\n')).includes('audit.ship.syslog.cert'));
  assert.ok(paths(withShip('    syslog:\n      url: tls://user@siem:6514/path\n')).includes('audit.ship.syslog.url'));
  assert.ok(paths(withShip('    name: "bad name"\n    syslog:\n      url: tcp://siem:514\n')).includes('audit.ship.name'));
  assert.ok(paths(withShip('    batch_size: 5\n')).length > 0, 'syslog is required');
});
