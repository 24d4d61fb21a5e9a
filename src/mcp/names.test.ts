import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignNames, exposedName, gatewayToolName } from './names.ts';

test('tools are exposed under their upstream prefix', () => {
  assert.equal(exposedName('fs', 'read_file'), 'fs.read_file');
  assert.equal(exposedName('conf', 'test_simple_text', 'none'), 'test_simple_text');
  assert.equal(gatewayToolName('fs', 'read_resource'), 'fs:read_resource');
});

test('names outside the MCP character set, or too long once prefixed, are refused', () => {
  for (const bad of ['', 'a b', 'x/y', 'a:b', 'é', 'x'.repeat(129)]) {
    assert.throws(() => exposedName('fs', bad), { code: 'ERR_MCP_NAME_INVALID' }, bad);
  }
  assert.throws(() => exposedName('fs', 'x'.repeat(127)), { code: 'ERR_MCP_NAME_INVALID' });
  assert.throws(() => exposedName('fs', '_hidden', 'none'), { code: 'ERR_MCP_NAME_INVALID' });
});

test('two upstreams with the same tool name are both reachable under their prefixes; a clash is refused', () => {
  const modes = new Map<string, 'prefixed' | 'none'>([['a', 'prefixed'], ['b', 'prefixed']]);
  const names = assignNames([{ upstream: 'a', name: 'echo' }, { upstream: 'b', name: 'echo' }], modes);
  assert.deepEqual([...names.keys()], ['a.echo', 'b.echo']);
  assert.throws(() => assignNames([{ upstream: 'a', name: 'echo' }], modes, new Set(['a.echo'])), { code: 'ERR_MCP_NAME_COLLISION' });
  const bare = new Map<string, 'prefixed' | 'none'>([['a', 'none'], ['b', 'prefixed']]);
  assert.throws(() => assignNames([{ upstream: 'a', name: 'b.echo' }, { upstream: 'b', name: 'echo' }], bare), { code: 'ERR_MCP_NAME_COLLISION' });
});
