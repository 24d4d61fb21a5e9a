/**
 * Runs the MCP conformance suite (`@modelcontextprotocol/conformance`, server side) against
 * the gateway's streamable-HTTP door `/mcp`, fronting the project's fixture upstream
 * (test/mcp/fixtures/conformance-server.ts, unprefixed, admitted on first use) with durable
 * SQLite audit.
 *
 * The suite's client sends no credentials, and /mcp requires a bearer token: a small
 * loopback proxy in front of /mcp adds the conformance principal's token to every request
 * and passes everything else through untouched (Host and Origin included, so the
 * DNS-rebinding scenario reaches the gateway's own check).
 *
 * Expected failures, with the reason for each, are in
 * test/mcp/conformance/expected-failures.yaml; the run fails on an unexpected failure and on
 * a stale entry. Usage: node scripts/mcp-conformance.ts [--scenario NAME] [--out DIR]
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createMcpGateway } from '../src/pipeline/index.ts';
import { startServer } from '../src/server/index.ts';
import { ROOT, SERVERS, mcpTestEnv, stdioUpstream } from '../test/mcp/support.ts';

const CLI = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const EXPECTED = join(ROOT, 'test/mcp/conformance/expected-failures.yaml');

function arg(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** A proxy that adds `authorization: Bearer <token>` to every request it forwards to `target`. */
async function authProxy(target: URL, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${token}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/mcp`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

export async function runConformance(options: { scenario?: string; outDir?: string; quiet?: boolean } = {}): Promise<{ code: number; output: string }> {
  const env = await mcpTestEnv({
    mcp: { upstreams: [stdioUpstream('conf', SERVERS.conformance, { namespace: 'none', approval: 'first_use', side_effect: 'read' })] },
    policies: { 'conformance.cedar': readFileSync(join(ROOT, 'test/mcp/conformance/policies.cedar'), 'utf8') },
  });
  const { gateway, hub } = await createMcpGateway(env.config);
  const server = await startServer(gateway, { host: '127.0.0.1', port: 0, mcp: { hub } });
  const proxy = await authProxy(new URL(server.url), await env.token({ sub: 'conformance-client', roles: ['conformance'] }));
  try {
    const args = [CLI, 'server', '--url', proxy.url, '--expected-failures', EXPECTED];
    if (options.scenario !== undefined) args.push('--scenario', options.scenario);
    if (options.outDir !== undefined) args.push('-o', options.outDir);
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (options.quiet !== true) process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const code = await new Promise<number>((done) => child.on('close', (c) => done(c ?? 1)));
    return { code, output };
  } finally {
    await proxy.close();
    await server.close();
    // The gateway (closed with the server) leaves its config, keys and databases: none is needed after the run.
    rmSync(env.dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const scenario = arg('--scenario');
  const outDir = arg('--out');
  const { code } = await runConformance({ ...(scenario === undefined ? {} : { scenario }), ...(outDir === undefined ? {} : { outDir }) });
  process.exit(code);
}
