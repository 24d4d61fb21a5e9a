import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMetricsAccess, isLoopbackAddress } from './access.ts';

test('loopback addresses are 127.0.0.0/8, ::1 and their IPv4-mapped forms; nothing else', () => {
  for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(address), true, address);
  for (const address of [undefined, '', '10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', '128.0.0.1', 'localhost', '127.0.0.1.evil']) {
    assert.equal(isLoopbackAddress(address), false, String(address));
  }
});

test('metrics access: disabled answers 404, loopback-only refuses remote callers with 403', () => {
  assert.equal(checkMetricsAccess({ enabled: false, token: null }, { authorization: undefined, remoteAddress: '127.0.0.1' })?.code, 'ERR_METRICS_DISABLED');
  assert.equal(checkMetricsAccess({ enabled: true, token: null }, { authorization: undefined, remoteAddress: '127.0.0.1' }), null);
  const remote = checkMetricsAccess({ enabled: true, token: null }, { authorization: 'Bearer anything', remoteAddress: '192.0.2.7' });
  assert.equal(remote?.code, 'ERR_METRICS_FORBIDDEN');
  assert.equal(remote?.status, 403);
  assert.equal(checkMetricsAccess({ enabled: true, token: null }, { authorization: undefined, remoteAddress: undefined })?.code, 'ERR_METRICS_FORBIDDEN');
});

test('metrics access with a token: only the exact bearer token is admitted, from anywhere (also loopback needs it)', () => {
  const policy = { enabled: true, token: 's3cret-scrape-token' };
  assert.equal(checkMetricsAccess(policy, { authorization: 'Bearer s3cret-scrape-token', remoteAddress: '192.0.2.7' }), null);
  for (const authorization of [undefined, '', 'Bearer', 'Bearer s3cret-scrape-toke', 'Bearer s3cret-scrape-token2', 'Basic s3cret-scrape-token', 's3cret-scrape-token']) {
    const refused = checkMetricsAccess(policy, { authorization, remoteAddress: '127.0.0.1' });
    assert.equal(refused?.code, 'ERR_METRICS_UNAUTHORIZED', String(authorization));
    assert.equal(refused?.status, 401);
  }
});
