import { test } from 'node:test';
import assert from 'node:assert/strict';
import { destinationOf } from './request.ts';

test('context.tool_call.destination: the host a connector sends to, "" when it sends nowhere', () => {
  assert.equal(destinationOf({ type: 'http', method: 'GET', url: 'https://API.Example.com:8443/v1/{id}?q={q}' }), 'api.example.com');
  assert.equal(destinationOf({ type: 'http', method: 'GET', url: 'http://[::1]:9000/x/{id}' }), '::1');
  assert.equal(destinationOf({ type: 'http', method: 'GET', url: 'http://2130706433/x' }), '127.0.0.1', 'the canonical form of a numeric host');
  assert.equal(destinationOf({ type: 'mcp', upstream: 'docs', tool: 'search', url: 'https://mcp.docs.example.com/mcp' }), 'mcp.docs.example.com');
  assert.equal(destinationOf({ type: 'mcp', upstream: 'fs', tool: 'read' }), '');
  assert.equal(destinationOf({ type: 'function', handler: 'h' }), '');
  assert.equal(
    destinationOf({ type: 'sandbox', command: ['/bin/true'], stdin: 'none', output: 'text', network: true, readOnlyPaths: [], env: {}, limits: { cpuSeconds: 1, memoryBytes: 1, processes: 1, outputBytes: 1, fileBytes: 1, wallMs: 1 } }),
    '',
  );
});
