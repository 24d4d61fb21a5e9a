/**
 * A syslog receiver over TCP or TLS (RFC 6587 / RFC 5425), as one long-lived connection. A
 * batch is written whole and counts as delivered when the socket has handed it to the
 * operating system; a write error or a closed connection fails the batch and drops the
 * connection, and the next batch reconnects. TCP gives no acknowledgement from the receiver
 * itself, so the sink exposes a `generation` that changes whenever a connection opens or
 * closes: the shipper counts a batch as delivered only once its connection has stayed open for
 * a while after it (see shipper.ts), and resends otherwise.
 */
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { AirlockError } from '../../core/errors.ts';

export interface SyslogTarget {
  /** `tcp://host:port` or `tls://host:port`. */
  url: string;
  /** PEM CA certificate(s) to verify a TLS receiver by (default: the system's). */
  ca?: string;
  /** PEM client certificate and key, for a receiver that requires one. */
  cert?: string;
  key?: string;
  connectTimeoutMs?: number;
}

export interface ParsedTarget {
  tls: boolean;
  host: string;
  port: number;
}

export function parseSyslogUrl(url: string): ParsedTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AirlockError('ERR_AUDIT_SHIP_TARGET', 'the syslog url is not a URL (use tcp://host:port or tls://host:port)', { status: 400 });
  }
  const tls = parsed.protocol === 'tls:';
  if (!tls && parsed.protocol !== 'tcp:') throw new AirlockError('ERR_AUDIT_SHIP_TARGET', 'the syslog url must be tcp://host:port or tls://host:port', { status: 400 });
  const port = Number(parsed.port || (tls ? 6514 : 514));
  if (parsed.hostname === '' || !Number.isInteger(port) || port <= 0) throw new AirlockError('ERR_AUDIT_SHIP_TARGET', 'the syslog url needs a host and a port', { status: 400 });
  return { tls, host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}

export class SyslogSink {
  readonly #target: ParsedTarget;
  readonly #options: SyslogTarget;
  #socket: Socket | null = null;
  #generation = 0;

  constructor(options: SyslogTarget) {
    this.#options = options;
    this.#target = parseSyslogUrl(options.url);
  }

  /** Changes whenever a connection opens or closes: what was sent before may not have been read. */
  get generation(): number {
    return this.#generation;
  }

  async #connect(): Promise<Socket> {
    if (this.#socket !== null) return this.#socket;
    const { host, port, tls } = this.#target;
    const socket = await new Promise<Socket>((done, fail) => {
      const tlsOptions: ConnectionOptions = {
        host,
        port,
        // SNI names a host, never an address (RFC 6066); an address is checked against the certificate's IP SANs.
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
        ...(this.#options.cert === undefined ? {} : { cert: this.#options.cert }),
        ...(this.#options.key === undefined ? {} : { key: this.#options.key }),
      };
      const s = tls ? tlsConnect(tlsOptions) : tcpConnect({ host, port });
      const timer = setTimeout(() => s.destroy(new Error(`connecting to ${host}:${port} timed out`)), this.#options.connectTimeoutMs ?? 10_000);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        done(s);
      });
      s.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
    });
    socket.setKeepAlive(true, 30_000);
    // The receiver never speaks; anything it sends is ignored. A close drops the connection.
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (this.#socket === socket) {
        this.#socket = null;
        this.#generation++;
      }
    });
    this.#socket = socket;
    this.#generation++;
    return socket;
  }

  /** Writes the frames as one batch; rejects (and drops the connection) when it could not. */
  async send(frames: Buffer[]): Promise<void> {
    const socket = await this.#connect();
    try {
      await new Promise<void>((done, fail) => {
        const onClose = () => fail(new Error('the syslog receiver closed the connection'));
        socket.once('close', onClose);
        socket.write(Buffer.concat(frames), (error) => {
          socket.off('close', onClose);
          if (error) fail(error);
          else done();
        });
      });
    } catch (error) {
      socket.destroy();
      if (this.#socket === socket) {
        this.#socket = null;
        this.#generation++;
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (socket === null) return;
    await new Promise<void>((done) => {
      socket.end(() => done());
      setTimeout(() => {
        socket.destroy();
        done();
      }, 1_000).unref();
    });
  }
}
