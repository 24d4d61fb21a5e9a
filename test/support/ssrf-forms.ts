/**
 * URL forms of forbidden destinations for the egress tests: every spelling a URL parser, a
 * resolver or the C library may turn into the same IPv4 or IPv6 address (inet_aton numbers,
 * dotted hex/octal, short forms, IPv4-mapped / compatible / NAT64 IPv6, percent-encoded and
 * full-width digits, userinfo tricks), for http and https.
 */

/** Host spellings of the IPv4 address a.b.c.d (each one a URL host). */
export function ipv4Spellings(address: string): string[] {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  const n = a * 2 ** 24 + b * 2 ** 16 + c * 2 ** 8 + d;
  const hex = (v: number) => `0x${v.toString(16)}`;
  const oct = (v: number) => `0${v.toString(8)}`;
  const h16 = (x: number, y: number) => ((x << 8) | y).toString(16);
  const low24 = b * 2 ** 16 + c * 2 ** 8 + d;
  const low16 = c * 2 ** 8 + d;
  return [
    address,
    `${address}.`,
    String(n),
    hex(n),
    hex(n).toUpperCase().replace('0X', '0X'),
    `0x${n.toString(16).padStart(10, '0')}`,
    oct(n),
    [a, b, c, d].map(hex).join('.'),
    [a, b, c, d].map(oct).join('.'),
    `${hex(a)}.${b}.${oct(c)}.${d}`,
    `${a}.${b}.${low16}`,
    `${a}.${low24}`,
    `${hex(a)}.${hex(low24)}`,
    `${oct(a)}.${oct(b)}.${hex(low16)}`,
    [...address].map((ch) => (ch === '.' ? '.' : `%${ch.charCodeAt(0).toString(16)}`)).join(''),
    [...address].map((ch) => (ch === '.' ? '\u3002' : String.fromCharCode(ch.charCodeAt(0) - 0x30 + 0xff10))).join(''),
    `[::ffff:${address}]`,
    `[::ffff:${h16(a, b)}:${h16(c, d)}]`,
    `[0:0:0:0:0:ffff:${address}]`,
    `[0000:0000:0000:0000:0000:FFFF:${h16(a, b).toUpperCase()}:${h16(c, d)}]`,
    `[::${address}]`,
    `[64:ff9b::${address}]`,
    `[2002:${h16(a, b)}:${h16(c, d)}::1]`,
  ];
}

/** Host spellings of an IPv6 address (bracketed). */
export function ipv6Spellings(address: string): string[] {
  const groups = expand(address);
  return [
    `[${address}]`,
    `[${groups.join(':')}]`,
    `[${groups.map((g) => g.padStart(4, '0')).join(':')}]`,
    `[${groups.join(':').toUpperCase()}]`,
    `[${groups.map((g) => g.padStart(4, '0')).join(':').toUpperCase()}]`,
  ];
}

function expand(address: string): string[] {
  const [left, right] = address.split('::') as [string, string | undefined];
  const l = left === '' ? [] : left.split(':');
  if (right === undefined) return l;
  const r = right === '' ? [] : right.split(':');
  return [...l, ...new Array<string>(8 - l.length - r.length).fill('0'), ...r];
}

/** Every URL form of (host spellings x schemes x port), plus userinfo variants naming an allowed origin. */
export function urlForms(hosts: string[], port: number, allowedAuthority: string): string[] {
  const out: string[] = [];
  for (const host of hosts) {
    for (const scheme of ['http', 'https']) out.push(`${scheme}://${host}:${port}/probe`);
  }
  const first = hosts[0] as string;
  out.push(`http://${allowedAuthority}@${first}:${port}/probe`);
  out.push(`http://user:pass@${first}:${port}/probe`);
  out.push(`http://${first}:${port}#@${allowedAuthority}/probe`);
  out.push(`http://${first}:${port}?@${allowedAuthority}/probe`);
  return out;
}
