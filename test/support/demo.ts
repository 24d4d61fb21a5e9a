/**
 * Test fixture: the real support-desk demo (config, Cedar bundle, in-process tools) with
 * its stores in a fresh temporary directory, tokens for the demo's users, and a count of
 * every connector invocation so tests can prove nothing executed.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirlockConfig } from '../../src/config/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Gateway, GatewayOptions } from '../../src/pipeline/index.ts';
import { createGateway, mintToken } from '../../src/pipeline/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import { SupportDesk } from '../../examples/support-desk/handlers.ts';
import type { ToolHandler } from '../../src/tools/index.ts';
import type { EgressRuleConfig, ToolDefinition } from '../../src/core/types.ts';
import pino from 'pino';
import { recordDatabase, recordKeyFiles, recordOutput, recordSecret } from './leak-scan.ts';

export const DEMO_CONFIG_PATH = resolve(fileURLToPath(new URL('../../examples/support-desk/airlock.yaml', import.meta.url)));

export interface DemoFixture {
  gateway: Gateway;
  config: AirlockConfig;
  desk: SupportDesk;
  dir: string;
  /** Connector invocations per tool. */
  invocations: Map<string, number>;
  totalInvocations(): number;
  token(claims: { sub: string; tenant: string; roles: string[]; agent?: string; ttlSeconds?: number }): Promise<string>;
  tokens: { sam: string; fin: string; globexAgent: string };
  /** A new session of the token's principal (the demo requires one for every agent call). */
  session(token: string, attributes?: Record<string, string>): Promise<string>;
  close(): Promise<void>;
}

export interface DemoOptions {
  /** Change the loaded config before the gateway is built (paths already point at the temp dir). */
  configure?: (config: AirlockConfig) => AirlockConfig;
  overrides?: GatewayOptions['overrides'];
  clock?: GatewayOptions['clock'];
  onNotifyFailure?: GatewayOptions['onNotifyFailure'];
  onBackgroundFault?: GatewayOptions['onBackgroundFault'];
  auditWriter?: GatewayOptions['auditWriter'];
}

export async function demoConfig(dir: string): Promise<AirlockConfig> {
  const base = await loadConfig(DEMO_CONFIG_PATH);
  return {
    ...base,
    // The demo's 250 ms policy deadline is for a served gateway; on a loaded shared test machine the
    // first decision of a tool can miss it (and deny, fail-closed). Tests of the deadline set their own.
    policy: { ...base.policy, timeoutMs: 5000 },
    audit: { type: 'sqlite', path: join(dir, 'audit.db') },
    state: { type: 'sqlite', path: join(dir, 'state.db') },
    identity: {
      ...base.identity,
      issuers: base.identity.issuers.map((i) => ({ ...i, secret: `file:${join(dir, 'dev.key')}`, createSecretIfMissing: true })),
    },
  };
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-test-'));
  let config = await demoConfig(dir);
  if (options.configure !== undefined) config = options.configure(config);
  const desk = new SupportDesk();
  const invocations = new Map<string, number>();
  const handlers: Record<string, ToolHandler> = {};
  for (const [name, handler] of Object.entries(desk.handlers())) {
    handlers[name] = (args, ctx) => {
      invocations.set(name, (invocations.get(name) ?? 0) + 1);
      return handler(args, ctx);
    };
  }
  const gateway = await createGateway(config, {
    handlers,
    resolvers: desk.resolvers(),
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.onNotifyFailure === undefined ? {} : { onNotifyFailure: options.onNotifyFailure }),
    ...(options.onBackgroundFault === undefined ? {} : { onBackgroundFault: options.onBackgroundFault }),
    ...(options.auditWriter === undefined ? {} : { auditWriter: options.auditWriter }),
  });
  const token: DemoFixture['token'] = async (claims) => {
    const minted = await mintToken(config, { ttlSeconds: 600, ...claims });
    recordSecret('bearer token', minted);
    return minted;
  };
  if (config.audit.type === 'sqlite') recordDatabase(config.audit.path);
  if (config.state.type === 'sqlite') recordDatabase(config.state.path);
  return {
    gateway,
    config,
    desk,
    dir,
    invocations,
    totalInvocations: () => [...invocations.values()].reduce((a, b) => a + b, 0),
    token,
    session: async (owner, attributes = {}) => (await gateway.createSession(owner, attributes)).session_id,
    tokens: {
      sam: await token({ sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent' }),
      fin: await token({ sub: 'fin', tenant: 'acme', roles: ['finance-lead'] }),
      globexAgent: await token({ sub: 'gina', tenant: 'globex', roles: ['support'], agent: 'support-agent' }),
    },
    close: async () => {
      await gateway.close();
      recordKeyFiles(dir);
    },
  };
}

export interface HttpFixture extends DemoFixture {
  server: RunningServer;
  post(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startDemoServer(options: DemoOptions = {}): Promise<HttpFixture> {
  const fixture = await startDemo(options);
  // Request logs go to the secret scan, as a deployment's logs would go to its collector.
  const logger = pino({ base: { service: 'airlock-test' } }, { write: (line: string) => recordOutput('log', 'server', line) });
  const server = await startServer(fixture.gateway, { host: '127.0.0.1', port: 0, logger });
  const request = async (method: string, path: string, body: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    recordOutput('http', `${method} ${path}`, text);
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  };
  return {
    ...fixture,
    server,
    post: (path, body, token) => request('POST', path, body, token),
    get: (path, token) => request('GET', path, undefined, token),
    close: async () => {
      await server.close();
      recordKeyFiles(fixture.dir);
    },
  };
}

/** A copy of the demo's policy bundle in a fresh directory, with extra files added. */
export function demoBundleWith(extra: Record<string, string> = {}): string {
  const bundle = mkdtempSync(join(tmpdir(), 'airlock-bundle-'));
  cpSync(join(dirname(DEMO_CONFIG_PATH), 'policies'), bundle, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(bundle, name), text);
  return bundle;
}

/** A read tool served by an HTTP upstream at `base` (`GET <base>/items/{sku}`). */
export function inventoryTool(base: string): ToolDefinition {
  return {
    name: 'inventory.lookup',
    description: 'Stock level of one item.',
    inputSchema: { type: 'object', required: ['sku'], properties: { sku: { type: 'string', maxLength: 64 } } },
    sideEffect: 'read',
    tenantBinding: 'none',
    idempotent: true,
    timeoutMs: 2000,
    connector: { type: 'http', method: 'GET', url: `${base}/items/{sku}`, egress: inventoryEgress(base) },
  };
}

/** The egress allowlist naming the inventory upstream at `base` (loopback is never implicitly allowed). */
export function inventoryEgress(base: string): EgressRuleConfig[] {
  const url = new URL(base);
  return [{ id: 'inventory-upstream', host: url.hostname, ports: [Number(url.port)], schemes: ['http'] }];
}
