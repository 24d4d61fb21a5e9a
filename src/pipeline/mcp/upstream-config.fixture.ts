/**
 * Test fixture shared by the hub's unit tests: an upstream's resolved config (stdio, prefixed,
 * untrusted, write, manual approval), with overrides.
 */
import type { McpUpstreamConfig } from '../../config/types.ts';

export function upstreamConfig(overrides: Partial<McpUpstreamConfig> = {}): McpUpstreamConfig {
  return {
    prefix: 'fs',
    namespace: 'prefixed',
    transport: { type: 'stdio', command: 'node', args: [], env: {} },
    trust: 'untrusted',
    sideEffect: 'write',
    approval: 'manual',
    timeoutMs: 1000,
    tools: {},
    ...overrides,
  };
}
