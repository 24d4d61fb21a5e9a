/**
 * The console's end-to-end fixture: the support-desk demo gateway (its real config, Cedar
 * bundle and in-process tools, stores in a fresh directory) served over HTTP with its MCP door
 * and the web console, an OIDC provider the console signs in at, an echo MCP upstream whose
 * definition changed since it was approved (so one definition waits with a diff) and another
 * seen for the first time (both wait for review), and the
 * console's build (made here when missing or stale). API helpers seed the queue as an agent's
 * runtime would.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import pino from 'pino';
import type { AirlockConfig } from '../../src/config/types.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Gateway } from '../../src/pipeline/index.ts';
import { createMcpGateway, mintToken } from '../../src/pipeline/index.ts';
import { definitionHash, pinnedDefinition } from '../../src/mcp/index.ts';
import { openDurablePins } from '../../src/stores/index.ts';
import type { RunningServer } from '../../src/server/index.ts';
import { startServer } from '../../src/server/index.ts';
import { SupportDesk } from '../../examples/support-desk/handlers.ts';
import { ensureConsoleBuilt } from '../../scripts/build-console.ts';
import { recordDatabase, recordKeyFiles, recordOutput, recordSecret } from '../support/leak-scan.ts';
import type { OidcAccount, OidcProvider } from './oidc.ts';
import { startOidcProvider } from './oidc.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO = join(ROOT, 'examples', 'support-desk');
export const CLIENT_ID = 'airlock-console';
export const AUDIENCE = 'https://airlock.test/api';

type Json = Record<string, unknown>;

export interface ConsoleFixture {
  server: RunningServer;
  gateway: Gateway;
  config: AirlockConfig;
  oidc: OidcProvider;
  /** The console's address. */
  consoleUrl: string;
  /** A dev (HS256) token, as an agent runtime or an operator script would hold. */
  token(claims: { sub: string; tenant: string; roles: string[]; agent?: string }): Promise<string>;
  get(path: string, token: string): Promise<{ status: number; body: Json }>;
  post(path: string, body: unknown, token: string): Promise<{ status: number; body: Json }>;
  close(): Promise<void>;
}

/** The echo fixture's tool as first approved: a shorter description than it serves now. */
const OLD_ECHO = { name: 'echo', description: 'Echoes.', inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } };

export async function startConsoleFixture(accounts: Record<string, OidcAccount>): Promise<ConsoleFixture> {
  await ensureConsoleBuilt();
  const oidc = await startOidcProvider(accounts);
  const dir = mkdtempSync(join(tmpdir(), 'airlock-console-'));
  const document = parse(readFileSync(join(DEMO, 'airlock.yaml'), 'utf8')) as Json;
  const identity = document.identity as { audience: string; issuers: Json[] };
  // An absolute URI: the console asks the provider for a token for it as an RFC 8707 resource indicator.
  identity.audience = AUDIENCE;
  document.server = { host: '127.0.0.1', port: 0, console: { oidc: { issuer: oidc.issuer, client_id: CLIENT_ID, scope: 'openid' } } };
  identity.issuers = [
    { issuer: 'https://dev.airlock.local', algorithms: ['HS256'], secret: 'file:dev.key', create_secret_if_missing: true },
    { issuer: oidc.issuer, algorithms: ['RS256'], jwks_url: `${oidc.issuer}/jwks` },
  ];
  document.policy = { bundle_dir: join(DEMO, 'policies'), timeout_ms: 5000 };
  document.audit = { type: 'sqlite', path: 'audit.db' };
  document.state = { type: 'sqlite', path: 'state.db' };
  document.handlers_module = join(DEMO, 'handlers.ts');
  const echo = join(ROOT, 'test', 'mcp', 'fixtures', 'echo-server.ts');
  document.mcp = {
    upstreams: [
      { prefix: 'echo', command: process.execPath, args: [echo, 'echo'], side_effect: 'read' },
      { prefix: 'relay', command: process.execPath, args: [echo, 'relay'], side_effect: 'read' },
    ],
  };
  const configPath = join(dir, 'airlock.yaml');
  writeFileSync(configPath, stringify(document));
  const config = await loadConfig(configPath);

  // An earlier definition of echo.echo was approved: the one the upstream serves now waits, with a diff.
  const durable = await openDurablePins(config);
  if (durable === null) throw new Error('expected durable pins');
  try {
    const old = pinnedDefinition(OLD_ECHO);
    const hash = definitionHash(old);
    const now = Date.now() - 86_400_000;
    await durable.pins.observe({ upstream: 'echo', tool: 'echo', hash, definition: old, findings: [], now });
    await durable.pins.decide({ upstream: 'echo', tool: 'echo', hash, verdict: 'approve', by: { kind: 'operator', user: 'setup', tenant: 'acme', issuer: 'test', roles: ['security-admin'] }, justification: 'first review', now });
  } finally {
    await durable.close();
  }

  const desk = new SupportDesk();
  const { gateway, hub } = await createMcpGateway(config, { handlers: desk.handlers(), resolvers: desk.resolvers() });
  const logger = pino({ base: { service: 'airlock-console-test' } }, { write: (line: string) => recordOutput('log', 'server', line) });
  const server = await startServer(gateway, { port: 0, logger, mcp: { hub } });
  const consoleUrl = `${server.url}/console/`;
  await oidc.configure({ clientId: CLIENT_ID, redirectUri: consoleUrl, audience: config.identity.audience });
  if (config.audit.type === 'sqlite') recordDatabase(config.audit.path);
  if (config.state.type === 'sqlite') recordDatabase(config.state.path);

  const request = async (method: string, path: string, body: unknown, token: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    recordOutput('http', `${method} ${path}`, text);
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Json };
  };
  return {
    server,
    gateway,
    config,
    oidc,
    consoleUrl,
    token: async (claims) => {
      const minted = await mintToken(config, { ttlSeconds: 900, ...claims });
      recordSecret('bearer token', minted);
      return minted;
    },
    get: (path, token) => request('GET', path, undefined, token),
    post: (path, body, token) => request('POST', path, body, token),
    close: async () => {
      await server.close();
      await oidc.close();
      recordKeyFiles(dir);
    },
  };
}
