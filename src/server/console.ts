/**
 * Serves the web console (`server.console`): the static build of console/ at /console, under a
 * strict Content-Security-Policy (scripts, styles and images from this origin only; fetches to
 * this origin and the OIDC issuer only; no framing, no inline code), and what its sign-in page
 * needs to know (`/console/sign-in.json`). The console talks only to the HTTP API with a bearer
 * token it keeps in the tab; this module sets no cookie. When the console was not built, /console
 * answers 503 with the command that builds it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Env, Hono } from 'hono';
import type { AirlockConfig } from '../config/types.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Where a build may be: console/dist in a checkout (src/server/ -> ../../console/dist), dist/console in the package. */
export const CONSOLE_BUILD_CANDIDATES = [resolve(HERE, '..', '..', 'console', 'dist'), resolve(HERE, '..', '..', 'console')];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** A path inside the build: plain segments only (no dot-segments, no encoded separators). */
const SAFE_PATH = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** The build directory in use: the first candidate holding index.html, else null (not built). */
export function consoleBuildDir(candidates: string[] = CONSOLE_BUILD_CANDIDATES): string | null {
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** The Content-Security-Policy of every console response: nothing inline, nothing from another origin but the issuer's endpoints. */
export function consoleCsp(issuer: string | undefined): string {
  let issuerOrigin = '';
  if (issuer !== undefined) {
    try {
      issuerOrigin = ` ${new URL(issuer).origin}`;
    } catch {
      issuerOrigin = '';
    }
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${issuerOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What the sign-in page needs: OIDC issuer, client and the audience to ask an access token for, or token paste. */
export function signInConfig(config: AirlockConfig): Record<string, string> {
  const oidc = config.server.console.oidc;
  if (oidc === undefined) return { mode: 'token' };
  return { mode: 'oidc', issuer: oidc.issuer, client_id: oidc.clientId, scope: oidc.scope, audience: config.identity.audience };
}

function secure(c: Context, csp: string): void {
  c.header('content-security-policy', csp);
  c.header('x-frame-options', 'DENY');
  c.header('referrer-policy', 'no-referrer');
  c.header('cross-origin-opener-policy', 'same-origin');
  c.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
}

/** Mounts /console on the app (nothing when `server.console.enabled` is false). */
export function mountConsole<E extends Env>(app: Hono<E>, config: AirlockConfig, candidates: string[] = CONSOLE_BUILD_CANDIDATES): void {
  if (!config.server.console.enabled) return;
  const csp = consoleCsp(config.server.console.oidc?.issuer);
  const signIn = signInConfig(config);

  app.get('/console/sign-in.json', (c) => {
    secure(c, csp);
    return c.json(signIn);
  });

  const serve = (c: Context, path: string) => {
    secure(c, csp);
    const dir = consoleBuildDir(candidates);
    if (dir === null) {
      return c.text('the web console is not built: run `npm run build:console` (npm test builds it too), then reload\n', 503);
    }
    // Client-side routes and the OIDC redirect land on index.html; assets are files of the build.
    const name = path === '' || !SAFE_PATH.test(path) || extname(path) === '' ? 'index.html' : path;
    const file = resolve(dir, name);
    if (!file.startsWith(dir + sep)) return c.text('not found\n', 404);
    let body: Buffer;
    try {
      if (!statSync(file).isFile()) return c.text('not found\n', 404);
      body = readFileSync(file);
    } catch {
      return c.text('not found\n', 404);
    }
    return c.body(new Uint8Array(body), 200, { 'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream' });
  };

  app.get('/console', (c) => c.redirect('/console/', 308));
  app.get('/console/', (c) => serve(c, ''));
  app.get('/console/*', (c) => serve(c, c.req.path.slice('/console/'.length)));
}
