/**
 * Starts the HTTP server for a gateway on a host and port and stops it cleanly
 * (in-flight requests finish, then the gateway's stores are flushed and closed).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Gateway } from '../pipeline/gateway.ts';
import { createApp } from './app.ts';
import type { McpHttpOptions } from './mcp-http.ts';
import { mountMcp } from './mcp-http.ts';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  gateway: Gateway,
  options: { host?: string; port?: number; logger?: Logger; /** Serve the MCP door at /mcp for this hub. */ mcp?: McpHttpOptions } = {},
): Promise<RunningServer> {
  const app = createApp(gateway, options.logger === undefined ? {} : { logger: options.logger });
  const mcp = options.mcp === undefined ? null : mountMcp(app as never, gateway, options.mcp);
  const host = options.host ?? gateway.config.server.host;
  const port = options.port ?? gateway.config.server.port;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shownHost}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            // Open MCP sessions hold streams: end them first, or close() would wait for them.
            void mcp?.close();
            server.close(() => {
              void gateway.close().then(done, done);
            });
            // Idle keep-alive sockets would hold close() open.
            (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
