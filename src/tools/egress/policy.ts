/**
 * The egress allowlist and its two checks, both pure:
 *  - checkDestination(url): before any DNS: scheme, credentials in the URL, host form,
 *    port, and the allowlist rule that admits the host (or a deny);
 *  - checkAddress(address, admitted): after resolution, for every address the name
 *    resolved to: cloud metadata is never reachable; loopback, private, link-local and
 *    every other special range only when the admitting rule names that address (an IP or
 *    CIDR rule, or a name rule's `addresses`). There is no implicit loopback exemption.
 * Every deny carries a reason code (`egress.*`) and the id of the rule that decided it.
 */
import type { EgressRuleConfig } from '../../core/types.ts';
import type { Cidr } from './ip.ts';
import { formatIp, inCidr, looksLikeIpv4, parseCidr, parseIp } from './ip.ts';
import type { AddressRange } from './ranges.ts';
import { classifyAddress, effectiveAddress } from './ranges.ts';

/** One allowlist entry as configured (`egress.allow[]`, or a connector's / upstream's own list). */
export type { EgressRuleConfig };

export interface EgressRule {
  id: string;
  kind: 'name' | 'suffix' | 'cidr';
  /** Lowercase name, or the suffix with its leading dot (`.example.com`). */
  name: string;
  cidr: Cidr | null;
  ports: number[] | null;
  schemes: Array<'http' | 'https'>;
  addresses: Cidr[];
}

export interface EgressPolicy {
  rules: EgressRule[];
  /** Redirects followed (each one checked as a new destination). */
  maxRedirects: number;
}

export type EgressReason =
  | 'egress.invalid_url'
  | 'egress.scheme'
  | 'egress.userinfo'
  | 'egress.not_allowlisted'
  | 'egress.forbidden_address'
  | 'egress.metadata_address'
  | 'egress.zone_id'
  | 'egress.resolution_failed'
  | 'egress.redirect_limit'
  | 'egress.redirect_invalid';

/** Rule ids of the built-in checks (the allowlist's own rules carry their configured ids). */
export const BUILTIN_RULES = {
  url: 'builtin.egress_url',
  allowlist: 'builtin.egress_allowlist',
  metadata: 'builtin.egress_metadata',
  specialRange: 'builtin.egress_special_range',
  resolution: 'builtin.egress_resolution',
  redirects: 'builtin.egress_redirects',
} as const;

export type EgressDeny = { allowed: false; reason: EgressReason; rule: string; message: string; address?: string; range?: AddressRange };

export interface Destination {
  scheme: 'http' | 'https';
  /** Host as the URL gives it, lowercase, without brackets or trailing dot. */
  host: string;
  port: number;
  /** The host is an IP literal (its canonical text is `host`). */
  literal: boolean;
}

/** `rules`: every rule admitting the destination (the address check accepts what any of them names). */
export type DestinationCheck = { allowed: true; destination: Destination; rule: EgressRule; rules: EgressRule[] } | EgressDeny;
export type AddressCheck = { allowed: true; address: string; range: AddressRange; rule: string } | EgressDeny;

export const DEFAULT_MAX_REDIRECTS = 3;

function deny(reason: EgressReason, rule: string, message: string, extra: Partial<EgressDeny> = {}): EgressDeny {
  return { allowed: false, reason, rule, message, ...extra };
}

const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Builds the policy from configured rules; throws a message naming the bad entry. */
export function compileEgressPolicy(rules: EgressRuleConfig[], options: { maxRedirects?: number; idPrefix?: string } = {}): EgressPolicy {
  const compiled = rules.map((rule, index) => compileRule(rule, rule.id ?? `${options.idPrefix ?? 'egress.allow'}[${index}]`));
  return { rules: compiled, maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS };
}

function compileRule(rule: EgressRuleConfig, id: string): EgressRule {
  const host = rule.host.trim().toLowerCase().replace(/\.$/, '');
  const addresses = (rule.addresses ?? []).map((text) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new Error(`${id}: ${JSON.stringify(text)} is not an IP address or CIDR block`);
    return cidr;
  });
  const base = { id, ports: rule.ports === undefined ? null : [...rule.ports], schemes: [...(rule.schemes ?? ['https', 'http'])], addresses };
  if (host.includes('/') || parseIp(host) !== null) {
    const cidr = parseCidr(host.replace(/^\[|\](?=\/|$)/g, ''));
    if (cidr === null) throw new Error(`${id}: ${JSON.stringify(rule.host)} is not a valid IP address or CIDR block`);
    if (addresses.length > 0) throw new Error(`${id}: addresses is only allowed on host name rules`);
    return { ...base, kind: 'cidr', name: host, cidr };
  }
  if (host.startsWith('*.')) {
    const suffix = host.slice(2);
    if (!HOST_NAME.test(suffix) || !suffix.includes('.')) throw new Error(`${id}: ${JSON.stringify(rule.host)} is not a valid wildcard (use *.example.com)`);
    return { ...base, kind: 'suffix', name: `.${suffix}`, cidr: null };
  }
  if (!HOST_NAME.test(host) || looksLikeIpv4(host)) throw new Error(`${id}: ${JSON.stringify(rule.host)} is not a valid host name`);
  return { ...base, kind: 'name', name: host, cidr: null };
}

function defaultPort(scheme: 'http' | 'https'): number {
  return scheme === 'https' ? 443 : 80;
}

function ruleAdmits(rule: EgressRule, dest: Destination, ip: Uint8Array | null): boolean {
  if (!rule.schemes.includes(dest.scheme)) return false;
  const ports = rule.ports ?? [defaultPort(dest.scheme)];
  if (!ports.includes(dest.port)) return false;
  if (rule.kind === 'cidr') return ip !== null && inCidr(effectiveAddress(ip), rule.cidr as Cidr);
  if (dest.literal) return false;
  if (rule.kind === 'name') return dest.host === rule.name;
  return dest.host.endsWith(rule.name) && dest.host.length > rule.name.length;
}

/**
 * The destination of `url` and the first rule admitting it, or why not. A host that is an IP
 * literal in any spelling (WHATWG URL canonicalizes the IPv4 forms; zone ids are refused)
 * can only be admitted by an IP or CIDR rule.
 */
export function checkDestination(url: string | URL, policy: EgressPolicy): DestinationCheck {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return deny('egress.invalid_url', BUILTIN_RULES.url, 'the destination is not a valid url');
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') return deny('egress.scheme', BUILTIN_RULES.url, `scheme ${scheme} is not allowed for outbound calls`);
  if (parsed.username !== '' || parsed.password !== '') return deny('egress.userinfo', BUILTIN_RULES.url, 'credentials in the destination url are not allowed');
  let host = parsed.hostname.toLowerCase();
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host.includes('%')) return deny('egress.zone_id', BUILTIN_RULES.url, 'ipv6 zone ids are not allowed in destinations');
  host = host.replace(/\.$/, '');
  if (host === '') return deny('egress.invalid_url', BUILTIN_RULES.url, 'the destination has no host');
  const ip = parseIp(host);
  // A name that a resolver could still read as a number (e.g. an out-of-range "1.2.3.256") is not a name.
  if (ip === null && looksLikeIpv4(host)) return deny('egress.invalid_url', BUILTIN_RULES.url, 'the destination host is a malformed ip address');
  const port = parsed.port === '' ? defaultPort(scheme) : Number(parsed.port);
  const dest: Destination = { scheme, host: ip === null ? host : formatIp(ip.bytes), port, literal: ip !== null };
  const rules = policy.rules.filter((r) => ruleAdmits(r, dest, ip?.bytes ?? null));
  const rule = rules[0];
  if (rule === undefined) {
    return deny('egress.not_allowlisted', BUILTIN_RULES.allowlist, `${scheme}://${dest.literal && !ip?.v4 ? `[${dest.host}]` : dest.host}:${port} is not on the egress allowlist`);
  }
  return { allowed: true, destination: dest, rule, rules };
}

/**
 * Whether a connection admitted by `rules` (one rule, or every rule that admitted the
 * destination) may go to `address` (what the name resolved to, or the literal itself).
 * Metadata endpoints: never. Other special ranges: only when an admitting rule names the
 * address (CIDR rule, or a name rule's `addresses`). Public: yes.
 */
export function checkAddress(address: string, rules: EgressRule | EgressRule[]): AddressCheck {
  const admitting = Array.isArray(rules) ? rules : [rules];
  const first = admitting[0];
  const ip = parseIp(address);
  if (ip === null) return deny('egress.resolution_failed', BUILTIN_RULES.resolution, 'the resolver returned something that is not an ip address');
  if (ip.zone !== null) return deny('egress.zone_id', BUILTIN_RULES.resolution, 'a resolved address carries a zone id');
  const text = formatIp(effectiveAddress(ip.bytes));
  const range = classifyAddress(ip.bytes);
  if (range === 'metadata') return deny('egress.metadata_address', BUILTIN_RULES.metadata, `${text} is a cloud metadata endpoint`, { address: text, range });
  if (first === undefined) return deny('egress.not_allowlisted', BUILTIN_RULES.allowlist, `${text} is not on the egress allowlist`, { address: text, range });
  if (range === 'public') return { allowed: true, address: formatIp(ip.bytes), range, rule: first.id };
  const target = effectiveAddress(ip.bytes);
  const naming = admitting.find((rule) => (rule.kind === 'cidr' ? inCidr(target, rule.cidr as Cidr) : rule.addresses.some((c) => inCidr(target, c))));
  if (naming === undefined) {
    return deny('egress.forbidden_address', BUILTIN_RULES.specialRange, `${text} is a ${range.replace('_', '-')} address no allowlist rule names`, { address: text, range });
  }
  return { allowed: true, address: formatIp(ip.bytes), range, rule: naming.id };
}
