import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAirlockError } from '../core/errors.ts';
import { parseConfig } from './load.ts';

const HEAD = `identity:
  audience: airlock
  issuers:
    - issuer: dev
      algorithms: [HS256]
      secret: env:DEV_SECRET
`;

function parse(mcp: string) {
  return parseConfig(HEAD + mcp, { filename: 'airlock.yaml', baseDir: '/etc/airlock' });
}

function issues(mcp: string): Array<{ path: string; line: number; message: string }> {
  try {
    parse(mcp);
  } catch (error) {
    if (isAirlockError(error)) return (error.details?.errors ?? []) as Array<{ path: string; line: number; message: string }>;
    throw error;
  }
  assert.fail('expected the config to be refused');
}

describe('mcp config', () => {
  it('defaults every key, resolves cwd against the config directory', () => {
    const config = parse(`mcp:
  identity_token: env:AIRLOCK_MCP_TOKEN
  upstreams:
    - prefix: fs
      command: node
      args: [server.js, /srv/data]
      cwd: servers
      env: { LOG_LEVEL: info, API_TOKEN: env:FS_TOKEN }
      tools:
        read_file: { side_effect: read, resource: { type: File, argument: path }, idempotent: true }
    - prefix: remote
      url: https://mcp.example.com/mcp
      headers: { authorization: env:REMOTE_TOKEN }
      trust: trusted
      approval: first_use
`);
    const mcp = config.mcp;
    assert.equal(mcp?.identityToken, 'env:AIRLOCK_MCP_TOKEN');
    assert.equal(mcp?.relistSeconds, 300);
    assert.deepEqual(mcp?.http, { allowedHosts: ['localhost', '127.0.0.1', '[::1]'], allowedOrigins: null, maxSessions: 1000, maxSessionsPerPrincipal: 32, sessionIdleSeconds: 1800 });
    assert.deepEqual(mcp?.upstreams[0], {
      prefix: 'fs',
      namespace: 'prefixed',
      transport: { type: 'stdio', command: 'node', args: ['server.js', '/srv/data'], env: { LOG_LEVEL: 'info', API_TOKEN: 'env:FS_TOKEN' }, cwd: '/etc/airlock/servers' },
      trust: 'untrusted',
      sideEffect: 'write',
      approval: 'manual',
      timeoutMs: 30000,
      tools: { read_file: { sideEffect: 'read', resource: { type: 'File', argument: 'path' }, idempotent: true } },
    });
    assert.deepEqual(mcp?.upstreams[1]?.transport, { type: 'http', url: 'https://mcp.example.com/mcp', headers: { authorization: 'env:REMOTE_TOKEN' } });
    assert.equal(mcp?.upstreams[1]?.approval, 'first_use');
  });

  it('a config without mcp has no upstreams', () => {
    assert.deepEqual(parse('').mcp?.upstreams, []);
  });

  it('points at the line of each mistake', () => {
    const found = issues(`mcp:
  identity_token: eyJhbGciOi.literal.token
  upstreams:
    - prefix: fs
      command: node
      url: https://x.example/mcp
    - prefix: fs
      url: http://mcp.example.com/mcp
      headers: { authorization: Bearer abc }
    - prefix: 9bad
      command: node
      headers: { x: y }
    - prefix: mem
      command: node
      namespace: none
      env: { GITHUB_TOKEN: ghp_literal }
      tools:
        read_graph: { side_effect: sometimes }
`);
    const at = (path: string) => found.find((i) => i.path === path);
    assert.match(at('mcp.identity_token')?.message ?? '', /secret reference/);
    assert.equal(at('mcp.identity_token')?.line, 8);
    assert.match(at('mcp.upstreams[0].command')?.message ?? '', /either command/);
    assert.match(at('mcp.upstreams[1].prefix')?.message ?? '', /duplicate prefix \(first defined at line 10\)/);
    assert.match(at('mcp.upstreams[1].url')?.message ?? '', /https/);
    assert.match(at('mcp.upstreams[1].headers.authorization')?.message ?? '', /credential/);
    assert.equal(at('mcp.upstreams[1].headers.authorization')?.line, 15);
    assert.match(at('mcp.upstreams[2].prefix')?.message ?? '', /start with a letter/);
    assert.match(at('mcp.upstreams[2].headers')?.message ?? '', /only allowed with url/);
    assert.match(at('mcp.upstreams[3].namespace')?.message ?? '', /only upstream/);
    assert.match(at('mcp.upstreams[3].env.GITHUB_TOKEN')?.message ?? '', /credential/);
    assert.match(at('mcp.upstreams[3].tools.read_graph.side_effect')?.message ?? '', /must be one of/);
  });
});
