/**
 * Egress control: the allowlist and SSRF guard (pure: ip.ts, ranges.ts, policy.ts) and the
 * client that connects only to vetted, pinned addresses (client.ts). See docs/egress.md.
 */
export { formatIp, parseCidr, parseIp } from './ip.ts';
export type { AddressRange } from './ranges.ts';
export { classifyAddress } from './ranges.ts';
export { BUILTIN_RULES, DEFAULT_MAX_REDIRECTS, checkAddress, checkDestination, compileEgressPolicy } from './policy.ts';
export type { EgressPolicy, EgressReason, EgressRule, EgressRuleConfig } from './policy.ts';
export { createEgressFetch, egressDenied, pinningLookup, vetDestination } from './client.ts';
export type { EgressClientOptions, EgressFetch, EgressRecord, EgressResolver, Vetted } from './client.ts';
