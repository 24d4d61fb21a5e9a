/**
 * Starts the HTTP server for a gateway on a host and port and stops it cleanly
 * (in-flight requests finish, then the gateway's stores are flushed and closed). With
 * `server.tls` it serves HTTPS only (and, with a client CA, only to clients presenting a
 * certificate that CA signed).
 */
import { serve } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AirlockError } from '../core/errors.ts';
import type { TlsConfig } from '../config/types.ts';
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

/** Reads one PEM file of `server.tls`; a missing or unreadable one is a config error naming its key and path. */
function pem(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new AirlockError('ERR_CONFIG_TLS', `server.tls.${key}: cannot read ${path} (${code})`, { status: 400, cause, details: { key: `server.tls.${key}`, path } });
  }
}

/**
 * The node:https options of a `server.tls` section: certificate and key, and with a client
 * CA, a certificate is requested from every client and one that does not chain to the CA
 * (or none at all) ends the handshake. Throws ERR_CONFIG_TLS for an unreadable file.
 */
export function httpsOptions(tls: TlsConfig): HttpsServerOptions {
  return {
    cert: pem('cert', tls.cert),
    key: pem('key', tls.key),
    ...(tls.clientCa === undefined ? {} : { ca: pem('client_ca', tls.clientCa), requestCert: true, rejectUnauthorized: true }),
  };
}

export async function startServer(
  gateway: Gateway,
  options: { host?: string; port?: number; logger?: Logger; /** Serve the MCP door at /mcp for this hub. */ mcp?: McpHttpOptions } = {},
): Promise<RunningServer> {
  const tls = gateway.config.server.tls;
  // Read before anything listens: a bad file fails the start, not the first connection.
  const secure = tls === undefined ? null : httpsOptions(tls);
  const app = createApp(gateway, options.logger === undefined ? {} : { logger: options.logger });
  const mcp = options.mcp === undefined ? null : mountMcp(app as never, gateway, options.mcp);
  const host = options.host ?? gateway.config.server.host;
  const port = options.port ?? gateway.config.server.port;
  return new Promise((resolve, reject) => {
    const listen = { fetch: app.fetch, hostname: host, port };
    const server = serve(secure === null ? listen : { ...listen, createServer: createHttpsServer, serverOptions: secure }, (info: AddressInfo) => {
      const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `${secure === null ? 'http' : 'https'}://${shownHost}:${info.port}`,
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
