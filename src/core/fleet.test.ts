import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFleetMessage } from './fleet.ts';

test('only well-formed fleet messages are accepted from the channel', () => {
  assert.deepEqual(parseFleetMessage('{"kind":"policy.reloaded","version":"sha256:ab","from":"rpl_1"}'), { kind: 'policy.reloaded', version: 'sha256:ab', from: 'rpl_1' });
  for (const bad of [undefined, '', 'not json', '{"kind":"policy.reloaded","version":1,"from":"x"}', '{"kind":"other","version":"v","from":"x"}', `{"kind":"policy.reloaded","version":"${'v'.repeat(201)}","from":"x"}`]) {
    assert.equal(parseFleetMessage(bad), null, String(bad).slice(0, 40));
  }
});
