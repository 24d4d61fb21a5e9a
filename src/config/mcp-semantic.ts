/**
 * Rules of the `mcp:` section that JSON Schema cannot express: unique prefixes, an
 * unprefixed upstream only when it is the only one, upstream URLs (https, or http on
 * loopback; no credentials in them), credentials only as secret references (headers,
 * credential-looking environment variables, the stdio door's identity token).
 */
import type { PathSegment } from './locate.ts';
import type { IssueCollector } from './semantic.ts';
import { SENSITIVE_HEADER, checkSecretRef, isLoopback } from './semantic.ts';
import { parseSecretRef } from './secrets.ts';
import { checkUpstreamIsolation } from './isolation-semantic.ts';

type Rec = Record<string, unknown>;

const rec = (value: unknown): Rec | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;

/** Environment variable names whose values are credentials. */
const SENSITIVE_ENV = /token|secret|passw(or)?d|api[_-]?key|private[_-]?key|credential|auth/i;

function checkUrl(out: IssueCollector, path: PathSegment[], url: unknown): void {
  if (typeof url !== 'string' || url === '') return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    out.add(path, 'must be an absolute http(s) URL');
    return;
  }
  if (parsed.username !== '' || parsed.password !== '') out.add(path, 'must not contain credentials (use headers with a secret reference)');
  else if (parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) out.add(path, 'must use https (http is allowed only for loopback hosts)');
  else if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') out.add(path, 'must use https (http is allowed only for loopback hosts)');
}

export function checkMcp(out: IssueCollector, mcp: Rec | undefined): void {
  if (mcp === undefined) return;
  if (mcp.identity_token !== undefined) checkSecretRef(out, ['mcp', 'identity_token'], mcp.identity_token);
  const upstreams = Array.isArray(mcp.upstreams) ? mcp.upstreams : [];
  const firstSeen = new Map<string, number>();
  upstreams.forEach((raw, i) => {
    const upstream = rec(raw);
    if (upstream === undefined) return;
    const at = (...rest: PathSegment[]): PathSegment[] => ['mcp', 'upstreams', i, ...rest];
    const prefix = typeof upstream.prefix === 'string' ? upstream.prefix : undefined;
    if (prefix !== undefined) {
      const first = firstSeen.get(prefix);
      if (first !== undefined) {
        const line = out.locator.locate(['mcp', 'upstreams', first, 'prefix']).line;
        out.add(at('prefix'), `duplicate prefix (first defined at line ${line}); each upstream needs its own namespace`);
      } else {
        firstSeen.set(prefix, i);
      }
    }
    if (upstream.namespace === 'none' && upstreams.length > 1) {
      out.add(at('namespace'), 'none is allowed only when this is the only upstream (otherwise two upstreams could shadow each other)');
    }
    checkUrl(out, at('url'), upstream.url);
    checkUpstreamIsolation(out, at(), upstream);
    for (const [name, value] of Object.entries(rec(upstream.headers) ?? {})) {
      if (typeof value === 'string' && SENSITIVE_HEADER.test(name) && parseSecretRef(value) === null) {
        out.add(at('headers', name), 'looks like a credential: use a secret reference (env:NAME or file:PATH); literal credentials are not allowed in the config file');
      }
    }
    for (const [name, value] of Object.entries(rec(upstream.env) ?? {})) {
      if (typeof value !== 'string') continue;
      const looksLikeRef = value.startsWith('env:') || value.startsWith('file:');
      if (looksLikeRef) checkSecretRef(out, at('env', name), value);
      else if (SENSITIVE_ENV.test(name)) {
        out.add(at('env', name), 'looks like a credential: use a secret reference (env:NAME or file:PATH); literal credentials are not allowed in the config file');
      }
    }
  });
}
