/**
 * What kind of destination an IP address is: public, or one of the special ranges an
 * outbound call must not reach unless an operator names it (loopback, private, link-local,
 * cloud metadata, ...). Addresses that wrap an IPv4 address (IPv4-mapped, IPv4-compatible,
 * NAT64, 6to4) are judged by the IPv4 address they reach. Pure: no I/O.
 */
import type { Cidr } from './ip.ts';
import { formatIp, inCidr, parseCidr } from './ip.ts';

export type AddressRange =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'shared'
  | 'documentation'
  | 'reserved'
  | 'unique_local';

function table(entries: Array<[string, AddressRange]>): Array<[Cidr, AddressRange]> {
  return entries.map(([text, range]) => {
    const cidr = parseCidr(text);
    if (cidr === null) throw new Error(`bad range ${text}`);
    return [cidr, range];
  });
}

/** Cloud instance metadata and platform endpoints: never reachable, whatever the allowlist says. */
const METADATA = table([
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean ...
  ['169.254.170.2/32', 'metadata'], // AWS ECS task metadata
  ['169.254.169.123/32', 'metadata'], // AWS time sync
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['168.63.129.16/32', 'metadata'], // Azure wire server
  ['192.0.0.192/32', 'metadata'], // Oracle Cloud
  ['fd00:ec2::254/128', 'metadata'], // AWS IMDS over IPv6
  ['fd00:ec2::23/128', 'metadata'], // AWS DNS over IPv6
]);

/** IPv4 special ranges (IANA special-purpose registry), most specific first is not needed: they do not overlap. */
const IPV4 = table([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link_local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.31.196.0/24', 'reserved'],
  ['192.52.193.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['192.175.48.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
]);

const IPV6 = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001::/32', 'reserved'], // Teredo: tunnels to an address we cannot see
  ['2001:2::/48', 'reserved'],
  ['2001:10::/28', 'reserved'],
  ['2001:20::/28', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'reserved'],
  ['fc00::/7', 'unique_local'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
  ['::/8', 'reserved'], // the rest of ::/8 (IPv4-compatible etc. handled first)
  ['2000::/3', 'public'],
]);

/** Prefixes whose last or inner 32 bits are an IPv4 address the packet ends up at. */
const EMBEDDING: Array<{ cidr: Cidr; offset: number }> = [
  { cidr: parseCidr('::ffff:0:0/96') as Cidr, offset: 12 }, // IPv4-mapped
  { cidr: parseCidr('::/96') as Cidr, offset: 12 }, // IPv4-compatible (deprecated)
  { cidr: parseCidr('64:ff9b::/96') as Cidr, offset: 12 }, // NAT64 well-known prefix
  { cidr: parseCidr('2002::/16') as Cidr, offset: 2 }, // 6to4
  { cidr: parseCidr('::ffff:0:0:0/96') as Cidr, offset: 12 }, // SIIT IPv4-translated
];

function v4Mapped(v4: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

/**
 * The address a connection to `bytes` really reaches for range purposes: the embedded IPv4
 * address (as IPv4-mapped bytes) of mapped / compatible / NAT64 / 6to4 forms, else itself.
 */
export function effectiveAddress(bytes: Uint8Array): Uint8Array {
  for (const { cidr, offset } of EMBEDDING) {
    if (!inCidr(bytes, cidr)) continue;
    // ::/96 also holds :: and ::1, which are not IPv4-compatible addresses.
    if (cidr.bits === 96 && offset === 12 && bytes.subarray(0, 12).every((b) => b === 0) && (bytes[12] ?? 0) === 0 && (bytes[13] ?? 0) === 0 && (bytes[14] ?? 0) === 0) {
      return bytes;
    }
    return v4Mapped(bytes.subarray(offset, offset + 4));
  }
  return bytes;
}

/** The range of an address (after unwrapping any embedded IPv4 address). */
export function classifyAddress(bytes: Uint8Array): AddressRange {
  const target = effectiveAddress(bytes);
  for (const [cidr, range] of METADATA) if (inCidr(target, cidr)) return range;
  const isV4 = target.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff));
  for (const [cidr, range] of isV4 ? IPV4 : IPV6) if (inCidr(target, cidr)) return range;
  // IPv4 outside every special range is public; IPv6 outside 2000::/3 is unallocated.
  return isV4 ? 'public' : 'reserved';
}

/** Canonical text of the address a connection reaches (embedded IPv4 unwrapped). */
export function effectiveAddressText(bytes: Uint8Array): string {
  return formatIp(effectiveAddress(bytes));
}
