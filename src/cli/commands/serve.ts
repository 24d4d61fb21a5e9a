/**
 * `airlock serve` and `airlock start`: run the HTTP gateway for a config (start: the
 * support-desk demo on its embedded defaults, its data in the current directory's .airlock/)
 * until SIGINT/SIGTERM, then drain and flush.
 */
import { join, relative } from 'node:path';
import pino from 'pino';
import type { AirlockConfig } from '../../config/types.ts';
import { createGateway, createMcpGateway, loadToolkit, mintToken } from '../../pipeline/index.ts';
import { startServer } from '../../server/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';
import { bold, dim } from '../output.ts';
import type { DemoLedger } from '../demo-ledger.ts';
import { startDemoLedger } from '../demo-ledger.ts';
import { DEMO_CONFIG, writeDemoConfig } from '../demo-config.ts';
import { NPX_COMMAND } from '../package-info.ts';
import type { AirlockError } from '../../core/errors.ts';

/** Where `airlock start` keeps the demo's data, under the current directory. */
export const START_DATA_DIR = '.airlock';

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${value}`);
  return port;
}

async function run(config: AirlockConfig, options: { port?: string; host?: string }, banner?: (url: string) => Promise<string>) {
  // JSON lines on stdout, gathered into writes of 4 KiB or whatever came within 100 ms (and
  // flushed at exit): a write per request line, each a round trip through the thread pool, cost
  // several percent of the CPU of a decision under load.
  const logger = pino({ base: { service: 'airlock' } }, pino.destination({ dest: 1, minLength: 4096, periodicFlush: 100 }));
  const gatewayOptions = {
    ...(await loadToolkit(config)),
    onUnrecordedStop: ({ request_id, code, error }: { request_id: string; code: string; error: unknown }) =>
      logger.error({ request_id, code, err: error }, 'refused call could not be recorded in the audit log'),
    onNotifyFailure: (error: AirlockError) =>
      logger.warn({ code: error.code, details: error.details }, 'approval notification not delivered (the request stays pending)'),
    onBackgroundFault: (what: string, error: unknown) => logger.error({ err: error }, `${what} failed`),
    onAlert: (alert: { type: string }) => logger.warn({ alert }, `alert: ${alert.type}`),
  };
  // With upstream MCP servers in the config, the gateway fronts them and serves /mcp.
  const withMcp = (config.mcp?.upstreams.length ?? 0) > 0;
  const mcp = withMcp ? await createMcpGateway(config, { ...gatewayOptions, onMcpFault: (what, error) => logger.warn({ err: error }, `mcp: ${what} failed`) }) : null;
  const gateway = mcp?.gateway ?? (await createGateway(config, gatewayOptions));
  const server = await startServer(gateway, {
    host: options.host ?? config.server.host,
    port: parsePort(options.port ?? process.env.AIRLOCK_PORT, config.server.port),
    logger,
    ...(mcp === null ? {} : { mcp: { hub: mcp.hub } }),
  });
  if (banner !== undefined) process.stdout.write(await banner(server.url));
  logger.info(
    {
      url: server.url,
      ...(config.server.console.enabled ? { console: `${server.url}/console/` } : {}),
      policy_version: gateway.policyVersion(),
      config: config.source,
      ...(mcp === null ? {} : { mcp: mcp.hub.status() }),
    },
    'airlock listening',
  );
  logger.flush(); // at once: whoever started the gateway waits for this line
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'airlock stopping');
    void server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // SIGHUP reloads the policy bundle; a bundle that does not validate is refused and the active one stays.
  process.on('SIGHUP', () => {
    gateway.reloadPolicy().then(
      ({ version }) => logger.info({ policy_version: version }, 'policy bundle reloaded'),
      (error: unknown) => logger.error({ err: error, policy_version: gateway.policyVersion() }, 'policy bundle refused; the active bundle stays'),
    );
  });
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export async function serveCommand(options: { config: string; port?: string; host?: string }): Promise<void> {
  await run(await loadConfigOrExit(options.config), options);
}

export async function startCommand(options: { port?: string; host?: string }): Promise<void> {
  // The demo config with its data (keys, audit log, state) in ./.airlock/ — from the repository
  // root the place the demo config itself names — written there so that other commands
  // (`audit trace`, `audit verify`, `serve`) can name it.
  const configPath = writeDemoConfig(join(process.cwd(), START_DATA_DIR), { name: 'support-desk.yaml' });
  let config = await loadConfigOrExit(configPath);
  // The demo's HTTP upstream (the billing ledger) on the port its tool names, or a free one.
  let ledger: DemoLedger;
  try {
    ledger = await startDemoLedger(config, DEMO_CONFIG);
  } catch {
    ledger = await startDemoLedger(config, DEMO_CONFIG, { host: '127.0.0.1', port: 0 });
  }
  config = ledger.config;
  await run(config, options, async (url) => {
    const token = await mintToken(config, { sub: 'sam', tenant: 'acme', roles: ['support'], agent: 'support-agent', ttlSeconds: 8 * 3600 });
    const lead = await mintToken(config, { sub: 'lena', tenant: 'acme', roles: ['support-lead', 'auditor', 'security-admin'], ttlSeconds: 8 * 3600 });
    return [
      '',
      bold(`Airlock is serving the support-desk demo on ${url}`),
      dim(`config ${config.source}; audit ${config.audit.type === 'sqlite' ? config.audit.path : 'memory'}`),
      '',
      `Dev token for sam (tenant acme, role support, agent support-agent), valid 8 hours:`,
      '',
      token,
      '',
      'Try it:',
      `  export TOKEN=${token.slice(0, 12)}...   # the token above`,
      `  curl -s -X POST ${url}/v1/sessions -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `       -d '{"attributes":{"ticket_id":"t_1001","customer_id":"cus_acme_ada","customer_email":"ada@lovelace.example"}}'`,
      `  curl -s -X POST ${url}/v1/tool-calls -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`,
      `       -d '{"session_id":"<session_id>","tool":"crm.getCustomer","arguments":{"customer_id":"cus_acme_ada"}}'`,
      `  ${NPX_COMMAND} audit trace <request_id> --config ${relative(process.cwd(), config.source)}`,
      '',
      `Web console (approvals, lineage, operations, trends): ${url}/console/`,
      `  sign in with this token of lena (support lead, auditor, security admin), valid 8 hours:`,
      '',
      lead,
      '',
      '',
    ].join('\n');
  });
}
