/**
 * Isolation rules JSON Schema cannot express: egress rule hosts and address blocks must be
 * well-formed (names, `*.suffix` wildcards, IP addresses, CIDR blocks), rule ids unique
 * within a list; sandbox commands and read-only paths absolute, and never the whole root.
 */
import { isIP } from 'node:net';
import type { PathSegment } from './locate.ts';
import type { IssueCollector } from './semantic.ts';

type Rec = Record<string, unknown>;

const rec = (value: unknown): Rec | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Rec) : undefined;

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
/** A name that a resolver would read as an IPv4 number (e.g. `127.1`, `0x7f.1`): not a name. */
const NUMERIC = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}\.?$/;

function cidrProblem(text: string): string | null {
  const [addr, len, extra] = text.replace(/^\[(.*)\]/, '$1').split('/');
  if (extra !== undefined || addr === undefined) return 'is not an IP address or CIDR block';
  const family = isIP(addr);
  if (family === 0) return 'is not an IP address or CIDR block';
  if (len !== undefined && (!/^(?:0|[1-9][0-9]{0,2})$/.test(len) || Number(len) > (family === 4 ? 32 : 128))) return 'has a prefix length out of range';
  return null;
}

export function checkEgressRules(out: IssueCollector, path: PathSegment[], rules: unknown): void {
  if (!Array.isArray(rules)) return;
  const ids = new Map<string, number>();
  rules.forEach((raw, i) => {
    const rule = rec(raw);
    if (rule === undefined) return;
    const host = typeof rule.host === 'string' ? rule.host.trim().toLowerCase().replace(/\.$/, '') : undefined;
    if (host !== undefined && host !== '') {
      const looksIp = host.includes('/') || host.includes(':') || /^[0-9.]+$/.test(host);
      if (looksIp) {
        const problem = cidrProblem(host);
        if (problem !== null) out.add([...path, i, 'host'], problem);
        else if (rule.addresses !== undefined) out.add([...path, i, 'addresses'], 'only allowed on host name rules (an IP or CIDR rule names its addresses itself)');
      } else if (host.startsWith('*.')) {
        const suffix = host.slice(2);
        if (!HOST_NAME.test(suffix) || !suffix.includes('.')) out.add([...path, i, 'host'], 'a wildcard must look like *.example.com');
      } else if (!HOST_NAME.test(host) || NUMERIC.test(host)) {
        out.add([...path, i, 'host'], 'must be a host name, *.domain, an IP address or a CIDR block');
      }
    }
    if (Array.isArray(rule.addresses)) {
      rule.addresses.forEach((a, j) => {
        if (typeof a !== 'string') return;
        const problem = cidrProblem(a);
        if (problem !== null) out.add([...path, i, 'addresses', j], problem);
      });
    }
    if (typeof rule.id === 'string') {
      const first = ids.get(rule.id);
      if (first !== undefined) out.add([...path, i, 'id'], `duplicate rule id (first used by entry ${first})`);
      else ids.set(rule.id, i);
    }
  });
}

function checkSandboxSettings(out: IssueCollector, path: PathSegment[], settings: Rec): void {
  if (!Array.isArray(settings.read_only_paths)) return;
  settings.read_only_paths.forEach((p, i) => {
    if (typeof p !== 'string') return;
    if (p.replace(/\/+$/, '') === '') out.add([...path, 'read_only_paths', i], 'must not be the root: the sandbox mounts the system folders itself and hides the rest');
  });
}

export function checkSandboxConnector(out: IssueCollector, path: PathSegment[], connector: Rec): void {
  const command = connector.command;
  if (Array.isArray(command) && typeof command[0] === 'string' && !command[0].startsWith('/')) {
    out.add([...path, 'command', 0], 'must be an absolute path (nothing is looked up on a PATH inside the sandbox)');
  }
  checkSandboxSettings(out, path, connector);
}

export function checkUpstreamIsolation(out: IssueCollector, path: PathSegment[], upstream: Rec): void {
  checkEgressRules(out, [...path, 'egress'], upstream.egress);
  const sandbox = rec(upstream.sandbox);
  if (sandbox !== undefined) checkSandboxSettings(out, [...path, 'sandbox'], sandbox);
  if ((upstream.sandbox === true || sandbox !== undefined) && upstream.cwd !== undefined) {
    out.add([...path, 'cwd'], 'a sandboxed upstream starts in its work folder (/work); list the folders it needs in sandbox.read_only_paths');
  }
}
