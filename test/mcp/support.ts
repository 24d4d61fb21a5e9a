/**
 * Helpers for the MCP tests, the conformance run and the MCP benchmark: a gateway config in
 * a fresh directory (dev HS256 issuer, durable SQLite audit and state, Cedar policies from
 * text), the paths of the reference servers and of the project's own fixture servers, and
 * tokens.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { stringify } from 'yaml';
import type { AirlockConfig } from '../../src/config/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createMcpGateway, mintToken } from '../../src/pipeline/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'test', 'mcp', 'fixtures');
export const NODE = process.execPath;

export const SERVERS = {
  filesystem: join(ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'),
  everything: join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'),
  memory: join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js'),
  conformance: join(FIXTURES, 'conformance-server.ts'),
  rugPull: join(FIXTURES, 'rug-pull-server.ts'),
  echo: join(FIXTURES, 'echo-server.ts'),
};

export interface McpTestEnv {
  dir: string;
  configPath: string;
  config: AirlockConfig;
  token(claims: { sub: string; roles?: string[]; tenant?: string; agent?: string }): Promise<string>;
}

export interface McpTestEnvOptions {
  /** The `mcp:` section (snake_case, as in airlock.yaml). */
  mcp: Record<string, unknown>;
  /** Cedar files: name -> text. `{{DIR}}` is replaced by the environment's directory. */
  policies: Record<string, string>;
  audit?: 'sqlite' | 'memory';
  state?: 'sqlite' | 'memory';
  /** Extra top-level config keys. */
  extra?: Record<string, unknown>;
}

export async function mcpTestEnv(options: McpTestEnvOptions): Promise<McpTestEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-mcp-'));
  mkdirSync(join(dir, 'policies'));
  for (const [name, text] of Object.entries(options.policies)) writeFileSync(join(dir, 'policies', name), text.replaceAll('{{DIR}}', dir));
  const document = {
    identity: {
      audience: 'airlock',
      issuers: [{ issuer: 'airlock-dev', algorithms: ['HS256'], secret: 'file:dev.key', create_secret_if_missing: true }],
    },
    server: { host: '127.0.0.1', port: 0 },
    audit: options.audit === 'memory' ? { type: 'memory' } : { type: 'sqlite', path: 'audit.db' },
    state: options.state === 'memory' ? { type: 'memory' } : { type: 'sqlite', path: 'state.db' },
    mcp: options.mcp,
    ...options.extra,
  };
  const configPath = join(dir, 'airlock.yaml');
  writeFileSync(configPath, stringify(document));
  const config = await loadConfig(configPath);
  return {
    dir,
    configPath,
    config,
    token: (claims) =>
      mintToken(config, {
        sub: claims.sub,
        tenant: claims.tenant ?? 'acme',
        roles: claims.roles ?? [],
        ttlSeconds: 3600,
        ...(claims.agent === undefined ? {} : { agent: claims.agent }),
      }),
  };
}

/** An upstream entry running a server file with this process's Node. */
export function stdioUpstream(prefix: string, script: string, extra: Record<string, unknown> = {}, args: string[] = []): Record<string, unknown> {
  return { prefix, command: NODE, args: [script, ...args], ...extra };
}

/** An SDK client of the gateway's /mcp door, authenticated as `token`. */
export async function httpClient(baseUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'airlock-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** An SDK client of `airlock mcp --config FILE` (the stdio door, a child process) acting as `token`. */
export async function stdioClient(configPath: string, token: string): Promise<Client> {
  const client = new Client({ name: 'airlock-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({ command: NODE, args: [join(ROOT, 'src/cli/main.ts'), 'mcp', '--config', configPath], env: { AIRLOCK_TOKEN: token }, stderr: 'pipe' }),
  );
  return client;
}

/** The text of a tool result's first text content. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.find((c) => c.type === 'text')?.text ?? '';
}

/** The Airlock metadata of a tool result. */
export function airlockMeta(result: unknown): { request_id: string; action_id: string; decision_id: string; decision: { outcome: string; code: string; rules: string[]; approval_id?: string } } {
  const meta = ((result as { _meta?: Record<string, unknown> })._meta ?? {}) as Record<string, unknown>;
  return {
    request_id: meta['airlock/request_id'] as string,
    action_id: meta['airlock/action_id'] as string,
    decision_id: meta['airlock/decision_id'] as string,
    decision: meta['airlock/decision'] as { outcome: string; code: string; rules: string[]; approval_id?: string },
  };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * An /mcp door (the HTTP server's) over one echo upstream, with a policy that permits
 * everything, on a free port; `http` is the config's `mcp.http` section.
 */
export async function echoDoor(http: Record<string, unknown> = {}): Promise<{ env: McpTestEnv; server: RunningServer }> {
  const env = await mcpTestEnv({
    mcp: { http, upstreams: [stdioUpstream('ec', join(FIXTURES, 'echo-server.ts'), { side_effect: 'read' })] },
    policies: { 'all.cedar': '@id("all")\npermit(principal, action, resource);\n' },
    audit: 'memory',
    state: 'memory',
  });
  const built = await createMcpGateway(env.config);
  return { env, server: await startServer(built.gateway, { port: 0, mcp: { hub: built.hub } }) };
}

