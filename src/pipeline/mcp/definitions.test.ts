import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { McpUpstreamConfig } from '../../config/types.ts';
import { SIDE_EFFECT_CLASSES } from '../../core/types.ts';
import type { SideEffectClass } from '../../core/types.ts';
import { gatewayTools, sideEffectOf, toolDefinition } from './definitions.ts';

const RANK: Record<SideEffectClass, number> = { none: 0, read: 1, write: 2, irreversible: 3, external_send: 3 };

function upstream(sideEffect: SideEffectClass, tools: McpUpstreamConfig['tools'] = {}): McpUpstreamConfig {
  return {
    prefix: 'fs',
    namespace: 'prefixed',
    transport: { type: 'stdio', command: 'node', args: [], env: {} },
    trust: 'untrusted',
    sideEffect,
    approval: 'manual',
    timeoutMs: 1000,
    tools,
  };
}

const hints = fc.record(
  { readOnlyHint: fc.boolean(), destructiveHint: fc.boolean(), idempotentHint: fc.boolean(), openWorldHint: fc.boolean() },
  { requiredKeys: [] },
);

test('upstream annotations can raise a class, never lower it', () => {
  fc.assert(
    fc.property(fc.constantFrom(...SIDE_EFFECT_CLASSES), hints, (base, annotations) => {
      const cls = sideEffectOf(upstream(base), { name: 't', inputSchema: { type: 'object' }, annotations });
      assert.ok(RANK[cls] >= RANK[base], `${base} -> ${cls}`);
      if (annotations.destructiveHint !== true) assert.equal(cls, base);
    }),
  );
  // The tool's own setting in config is what counts, whatever the upstream claims.
  const configured = upstream('write', { read_file: { sideEffect: 'read' } });
  assert.equal(sideEffectOf(configured, { name: 'read_file', inputSchema: { type: 'object' }, annotations: { destructiveHint: true } }), 'read');
});

test('registered definitions: mcp connector, not tenant-bound, upstream trust, validation copy of the schema', () => {
  const definition = toolDefinition(upstream('write', { read_file: { resource: { type: 'File', argument: 'path' }, outputTrust: 'trusted' } }), 'fs.read_file', {
    name: 'read_file',
    description: 'Read a file.',
    inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { path: { type: 'string' } } },
  });
  assert.deepEqual(definition.connector, { type: 'mcp', upstream: 'fs', tool: 'read_file' });
  assert.equal(definition.tenantBinding, 'none');
  assert.equal(definition.outputTrust, 'trusted');
  assert.deepEqual(definition.resource, { type: 'File', argument: 'path' });
  assert.equal('$schema' in definition.inputSchema, false);
  assert.deepEqual(gatewayTools(upstream('read')).map((t) => [t.name, t.sideEffect, t.outputTrust]), [
    ['fs:read_resource', 'read', 'untrusted'],
    ['fs:get_prompt', 'read', 'untrusted'],
  ]);
});
