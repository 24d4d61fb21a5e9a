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

const tool = (connector: string) => `tools:
  - name: code.run
    side_effect: write
    input_schema: { type: object, properties: { script: { type: string } } }
    connector: ${connector}
`;

function parse(text: string) {
  return parseConfig(HEAD + text, { filename: 'airlock.yaml', baseDir: '/etc/airlock' });
}

function issues(text: string): Array<{ path: string; line: number; message: string }> {
  try {
    parse(text);
  } catch (error) {
    if (isAirlockError(error)) return (error.details?.errors ?? []) as Array<{ path: string; line: number; message: string }>;
    throw error;
  }
  assert.fail('expected the config to be refused');
}

describe('egress config', () => {
  it('defaults to an empty allowlist (nothing reachable) and three redirects', () => {
    assert.deepEqual(parse('').egress, { allow: [], maxRedirects: 3 });
  });

  it('reads the global allowlist and a connector\'s own list', () => {
    const config = parse(`egress:
  max_redirects: 1
  allow:
    - { id: ledger, host: 127.0.0.1, ports: [8788], schemes: [http] }
    - { host: "*.example.com" }
    - { host: svc.internal.test, addresses: [10.1.0.0/16] }
${tool('{ type: http, method: GET, url: "https://api.example.com/x", egress: [{ host: api.example.com }] }')}`);
    assert.deepEqual(config.egress, {
      maxRedirects: 1,
      allow: [{ id: 'ledger', host: '127.0.0.1', ports: [8788], schemes: ['http'] }, { host: '*.example.com' }, { host: 'svc.internal.test', addresses: ['10.1.0.0/16'] }],
    });
    const connector = config.tools[0]?.connector;
    assert.ok(connector?.type === 'http');
    assert.deepEqual(connector.egress, [{ host: 'api.example.com' }]);
  });

  it('refuses malformed hosts, address blocks and duplicate ids, each at its line', () => {
    const found = issues(`egress:
  allow:
    - { id: a, host: "exa mple.com" }
    - { id: a, host: 10.0.0.0/33 }
    - { host: "*.com" }
    - { host: 127.1 }
    - { host: api.example.com, addresses: [not-a-cidr] }
    - { host: 10.0.0.1, addresses: [10.0.0.0/8] }
    - { host: api.example.com, ports: [0] }
`);
    const paths = found.map((i) => i.path);
    for (const path of ['egress.allow[0].host', 'egress.allow[1].host', 'egress.allow[1].id', 'egress.allow[2].host', 'egress.allow[3].host', 'egress.allow[4].addresses[0]', 'egress.allow[5].addresses', 'egress.allow[6].ports[0]']) {
      assert.ok(paths.includes(path), `${path} not in ${JSON.stringify(found)}`);
    }
    assert.ok(found.every((i) => i.line > 0));
  });

  it('egress lists only on http connectors and http upstreams', () => {
    assert.ok(issues(tool('{ type: function, handler: h, egress: [{ host: a.example.com }] }')).some((i) => i.path === 'tools[0].connector.egress'));
    assert.ok(issues(`mcp:
  upstreams:
    - { prefix: s, command: node, egress: [{ host: a.example.com }] }
`).some((i) => i.path === 'mcp.upstreams[0].egress'));
    const config = parse(`mcp:
  upstreams:
    - { prefix: r, url: "https://mcp.example.com/mcp", egress: [{ host: mcp.example.com }] }
`);
    const transport = config.mcp?.upstreams[0]?.transport;
    assert.ok(transport?.type === 'http');
    assert.deepEqual(transport.egress, [{ host: 'mcp.example.com' }]);
  });
});

describe('sandbox config', () => {
  it('defaults the connector: json in, json out, no network, default limits; paths resolve against the config folder', () => {
    const config = parse(tool('{ type: sandbox, command: [/usr/bin/python3, tool.py], read_only_paths: [tools] }'));
    assert.deepEqual(config.tools[0]?.connector, {
      type: 'sandbox',
      command: ['/usr/bin/python3', 'tool.py'],
      stdin: 'json',
      output: 'json',
      env: {},
      network: false,
      readOnlyPaths: ['/etc/airlock/tools'],
      limits: { cpuSeconds: 10, memoryBytes: 256 * 1024 * 1024, processes: 32, outputBytes: 1024 * 1024, fileBytes: 16 * 1024 * 1024, wallMs: 30_000 },
    });
  });

  it('reads limits and network', () => {
    const config = parse(tool('{ type: sandbox, command: [/bin/sh, -c, "{script}"], stdin: none, output: text, network: true, env: { MODE: fast }, limits: { cpu_seconds: 2, memory_mb: 64, processes: 4, output_bytes: 4096, file_bytes: 8192, wall_ms: 500 } }'));
    const connector = config.tools[0]?.connector;
    assert.ok(connector?.type === 'sandbox');
    assert.deepEqual([connector.network, connector.stdin, connector.output, connector.env], [true, 'none', 'text', { MODE: 'fast' }]);
    assert.deepEqual(connector.limits, { cpuSeconds: 2, memoryBytes: 64 * 1024 * 1024, processes: 4, outputBytes: 4096, fileBytes: 8192, wallMs: 500 });
  });

  it('refuses a relative command, the root as a read-only path, http keys, and out-of-range limits', () => {
    const found = issues(tool('{ type: sandbox, command: [python3], read_only_paths: [/], url: "https://x.example.com/", limits: { memory_mb: 1 } }')).map((i) => i.path);
    for (const path of ['tools[0].connector.command[0]', 'tools[0].connector.read_only_paths[0]', 'tools[0].connector.url', 'tools[0].connector.limits.memory_mb']) {
      assert.ok(found.includes(path), `${path} not in ${JSON.stringify(found)}`);
    }
  });

  it('an MCP stdio upstream opts in with true or settings; not on http upstreams; no cwd with it', () => {
    const config = parse(`mcp:
  upstreams:
    - { prefix: a, command: /usr/bin/node, sandbox: true }
    - { prefix: b, command: /usr/bin/node, sandbox: { network: true, read_only_paths: [/srv/mcp], limits: { memory_mb: 4096 } } }
    - { prefix: c, command: /usr/bin/node }
`);
    const [a, b, c] = config.mcp?.upstreams ?? [];
    assert.ok(a?.transport.type === 'stdio' && b?.transport.type === 'stdio' && c?.transport.type === 'stdio');
    assert.equal(a.transport.sandbox?.network, false);
    assert.deepEqual([b.transport.sandbox?.network, b.transport.sandbox?.readOnlyPaths, b.transport.sandbox?.limits.memoryBytes], [true, ['/srv/mcp'], 4096 * 1024 * 1024]);
    assert.equal(c.transport.sandbox, undefined);
    const found = issues(`mcp:
  upstreams:
    - { prefix: r, url: "https://mcp.example.com/mcp", sandbox: true }
    - { prefix: s, command: /usr/bin/node, cwd: srv, sandbox: true }
`).map((i) => i.path);
    assert.ok(found.includes('mcp.upstreams[0].sandbox'), JSON.stringify(found));
    assert.ok(found.includes('mcp.upstreams[1].cwd'), JSON.stringify(found));
  });
});
