/**
 * createMcpGateway: a Gateway that also fronts the config's upstream MCP servers. The hub
 * connects and pins first, so the gateway (and its Cedar schema) is built with the
 * discovered tools; pins live in the state database (memory state: in memory). Closing it
 * closes the upstream connections, then the gateway's stores.
 */
import type { AirlockConfig } from '../../config/types.ts';
import { resolveSecretRef } from '../../config/index.ts';
import type { PinStore } from '../../mcp/index.ts';
import type { Gateway, GatewayOptions } from '../gateway.ts';
import { createGateway } from '../gateway.ts';
import type { SessionContentSink } from './content.ts';
import { McpHub } from './hub.ts';
import { openGatewayStores } from '../../stores/index.ts';

export interface McpGatewayOptions extends GatewayOptions {
  /** Session content registration hook (see content.ts). */
  sessionContent?: SessionContentSink;
  /** Told about hub faults that are not calls (listing failures, unwritable hub events). */
  onMcpFault?: (what: string, error: unknown) => void;
  /** Replace the pin store (tests). */
  pins?: PinStore;
}

export interface McpGateway {
  gateway: Gateway;
  hub: McpHub;
}

export async function createMcpGateway(config: AirlockConfig, options: McpGatewayOptions = {}): Promise<McpGateway> {
  const stores = options.stores ?? (await openGatewayStores(config));
  const closeStores = async () => {
    if (options.stores === undefined) await stores.close();
  };
  const pins = options.pins ?? stores.pins;
  const decoder = new TextDecoder();
  const hub = new McpHub(config, {
    pins,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    resolveSecret: async (ref) => decoder.decode(await resolveSecretRef(ref, config.baseDir)),
    ...(options.sessionContent === undefined ? {} : { sessionContent: options.sessionContent }),
    ...(options.onMcpFault === undefined ? {} : { onFault: options.onMcpFault }),
  });
  try {
    await hub.start();
    const inner = await createGateway(config, { ...options, toolSource: hub, stores });
    const gateway: Gateway = {
      ...inner,
      async close() {
        await hub.close();
        await hub.settled().catch(() => undefined);
        await inner.close();
        await closeStores();
      },
    };
    return { gateway, hub };
  } catch (error) {
    await hub.close();
    await closeStores();
    throw error;
  }
}
