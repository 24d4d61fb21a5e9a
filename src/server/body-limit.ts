/**
 * The request body limit of the HTTP door, on the transport: a body that declares its length
 * is judged by the header alone and then read once, by the handler, straight from the socket
 * (@hono/node-server reads `text()` without building a web Request and stream); only a body
 * without a declared length (chunked) is counted while it is read, by hono's body limit.
 *
 * Node's HTTP/1 parser holds a body to its declared `content-length` (never more bytes than
 * declared, and a request carrying both `content-length` and `transfer-encoding` is refused
 * before it reaches us), so the header check bounds what the handler can read. A request with
 * neither header has no body.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

const DIGITS = /^\d{1,15}$/;

export function requestBodyLimit(options: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const counted = bodyLimit(options);
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (!chunked) {
      if (length === undefined) return next();
      if (DIGITS.test(length)) return Number(length) > options.maxSize ? options.onError(c) : next();
    }
    return counted(c, next);
  };
}
