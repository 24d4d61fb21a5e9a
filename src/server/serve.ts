/**
 * Starts the HTTP server for a gateway on a host and port and stops it cleanly
 * (in-flight requests finish, then the gateway's stores are flushed and closed).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Gateway } from '../pipeline/gateway.ts';
import { createApp } from './app.ts';

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  gateway: Gateway,
  options: { host?: string; port?: number; logger?: Logger } = {},
): Promise<RunningServer> {
  const app = createApp(gateway, options.logger === undefined ? {} : { logger: options.logger });
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
