/**
 * Starts the support-desk demo's HTTP upstream (the billing ledger in
 * examples/support-desk/ledger-service.ts) beside the gateway, for `airlock start` and
 * `airlock demo`. Loaded at run time from the example directory, like the demo's handlers.
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AirlockConfig } from '../config/types.ts';

interface LedgerModule {
  LEDGER_TOOL: string;
  startLedgerService(
    config: AirlockConfig,
    options?: { listen?: { host: string; port: number } },
  ): Promise<{ url: string; close(): Promise<void> }>;
}

export interface DemoLedger {
  url: string;
  /** The config with the ledger tool's connector pointed at where the ledger listens (and allowed to reach it). */
  config: AirlockConfig;
  close(): Promise<void>;
}

export async function startDemoLedger(config: AirlockConfig, demoConfigPath: string, listen?: { host: string; port: number }): Promise<DemoLedger> {
  // Beside the demo config: the TypeScript source in a checkout, compiled JavaScript in the package.
  const file = `ledger-service${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`;
  const mod = (await import(pathToFileURL(join(dirname(demoConfigPath), file)).href)) as LedgerModule;
  const ledger = await mod.startLedgerService(config, listen === undefined ? {} : { listen });
  const where = new URL(ledger.url);
  // The ledger may listen elsewhere than the config says: the connector follows it, and its own
  // egress allowlist names exactly that address (loopback is never reachable unnamed).
  const egress = [{ id: 'billing-ledger', host: where.hostname, ports: [Number(where.port)], schemes: ['http' as const] }];
  const tools = config.tools.map((tool) =>
    tool.name === mod.LEDGER_TOOL && tool.connector.type === 'http'
      ? { ...tool, connector: { ...tool.connector, url: tool.connector.url.replace(/^http:\/\/[^/]+/, `http://${where.host}`), egress } }
      : tool,
  );
  return { url: ledger.url, config: { ...config, tools }, close: () => ledger.close() };
}
