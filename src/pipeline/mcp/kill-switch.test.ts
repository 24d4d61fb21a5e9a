import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal, RegisteredTool } from '../../core/types.ts';
import type { CallState } from '../call.ts';
import type { PipelineEnv } from '../env.ts';
import { connectorId, screen } from '../phases/screen.ts';

test('an MCP upstream is one connector for kill switches: mcp:<prefix>', () => {
  const tool = { name: 'fs.write_file', connector: { type: 'mcp', upstream: 'fs', tool: 'write_file' } } as RegisteredTool;
  assert.equal(connectorId(tool.connector), 'mcp:fs');
  const principal = { user: 'u', tenant: 'acme', roles: [], delegation: [], issuer: 'i' } as Principal;
  const run = (connectors: string[]) => {
    const env = {
      killSwitch: { global: false, tenants: [], tools: [], agents: [], connectors },
      tools: { get: (name: string) => (name === tool.name ? tool : undefined) },
    } as unknown as PipelineEnv;
    const call = { principal, request: { tool: tool.name } } as CallState;
    screen(call, env);
    return call.stop?.reasons[0]?.reason;
  };
  assert.equal(run(['mcp:fs']), 'kill switch engaged: connector mcp:fs');
  assert.equal(run(['mcp:mem']), undefined);
});
