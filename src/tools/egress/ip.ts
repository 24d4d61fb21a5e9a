/**
 * IP address text in every form a URL, a resolver or the C library may accept, turned into
 * one canonical value: 16 bytes (IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d).
 * IPv4 is read as inet_aton reads it (1-4 parts; decimal, 0x hex or 0-led octal; the last
 * part fills the remaining bytes: `2130706433`, `0x7f.1`, `0177.0.0.01`, `127.1`), so no
 * spelling of an address escapes the range checks by being taken for a host name.
 * IPv6 may carry brackets and a zone id (`fe80::1%eth0`); the zone is reported, not kept.
 * Pure: no I/O.
 */

export interface ParsedIp {
  /** 16 bytes; IPv4 addresses are IPv4-mapped. */
  bytes: Uint8Array;
  /** The text was an IPv4 form (any inet_aton spelling). */
  v4: boolean;
  /** Zone id after `%` (IPv6 only), if any. */
  zone: string | null;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function mapped(v4: number): Uint8Array {
  const out = new Uint8Array(16);
  out.set(MAPPED_PREFIX, 0);
  out[12] = (v4 >>> 24) & 0xff;
  out[13] = (v4 >>> 16) & 0xff;
  out[14] = (v4 >>> 8) & 0xff;
  out[15] = v4 & 0xff;
  return out;
}

/** One inet_aton part: decimal, 0x hex, or octal when it starts with 0. Null when not a number. */
function part(text: string): number | null {
  if (text === '') return null;
  let digits: string;
  let radix: number;
  if (/^0[xX]/.test(text)) {
    digits = text.slice(2);
    radix = 16;
    if (digits === '') return 0; // "0x" alone is 0 for inet_aton and WHATWG URL
    if (!/^[0-9a-fA-F]+$/.test(digits)) return null;
  } else if (text.length > 1 && text.startsWith('0')) {
    digits = text.slice(1);
    radix = 8;
    if (!/^[0-7]+$/.test(digits)) return null;
  } else {
    digits = text;
    radix = 10;
    if (!/^[0-9]+$/.test(digits)) return null;
  }
  // Strip leading zeros so very long zero-padded parts still parse exactly.
  const trimmed = digits.replace(/^0+(?=.)/, '');
  if (trimmed.length > 12) return Number.POSITIVE_INFINITY;
  return Number.parseInt(trimmed, radix);
}

/**
 * An IPv4 address in any inet_aton / WHATWG form, as a 32-bit unsigned number; null when the
 * text is not such a form. A single trailing dot is accepted (as URLs accept it). Out-of-range
 * parts make the text an invalid address (returned as NaN) rather than a host name.
 */
export function parseIpv4Number(text: string): number | null {
  const body = text.endsWith('.') && text.length > 1 ? text.slice(0, -1) : text;
  const parts = body.split('.');
  if (parts.length === 0 || parts.length > 4) return null;
  const values = parts.map(part);
  if (values.some((v) => v === null)) return null;
  const numbers = values as number[];
  const last = numbers[numbers.length - 1] as number;
  const leading = numbers.slice(0, -1);
  if (leading.some((v) => v > 255)) return Number.NaN;
  if (last >= 256 ** (5 - numbers.length)) return Number.NaN;
  let value = 0;
  leading.forEach((v, i) => {
    value += v * 256 ** (3 - i);
  });
  return value + last;
}

function parseIpv6Groups(text: string): number[] | null {
  let head = text;
  let tail: number[] = [];
  // An embedded dotted IPv4 tail (::ffff:1.2.3.4): strict dotted-quad only, as RFC 4291 says.
  const lastColon = head.lastIndexOf(':');
  const maybeV4 = head.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const quads = maybeV4.split('.');
    if (quads.length !== 4 || quads.some((q) => !/^(?:0|[1-9][0-9]{0,2})$/.test(q) || Number(q) > 255)) return null;
    const n = quads.map(Number);
    tail = [((n[0] as number) << 8) | (n[1] as number), ((n[2] as number) << 8) | (n[3] as number)];
    head = head.slice(0, lastColon + 1);
    if (!head.endsWith('::') && head.endsWith(':')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const left = groupsOf(halves[0] as string);
  if (left === null) return null;
  if (halves.length === 1) {
    const all = [...left, ...tail];
    return all.length === 8 ? all : null;
  }
  const right = groupsOf(halves[1] as string);
  if (right === null) return null;
  const missing = 8 - left.length - right.length - tail.length;
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right, ...tail];
}

/** Parses an IP address (IPv4 in any inet_aton form, IPv6 with optional brackets and zone). Null: not an IP address. */
export function parseIp(input: string): ParsedIp | null {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (text.includes(':')) {
    let zone: string | null = null;
    const percent = text.indexOf('%');
    if (percent >= 0) {
      zone = decodeURIComponentSafe(text.slice(percent + 1));
      text = text.slice(0, percent);
      if (zone === '' || zone === null) return null;
    }
    const groups = parseIpv6Groups(text);
    if (groups === null) return null;
    const bytes = new Uint8Array(16);
    groups.forEach((g, i) => {
      bytes[i * 2] = g >> 8;
      bytes[i * 2 + 1] = g & 0xff;
    });
    return { bytes, v4: false, zone };
  }
  const v4 = parseIpv4Number(text);
  if (v4 === null || Number.isNaN(v4)) return null;
  return { bytes: mapped(v4), v4: true, zone: null };
}

function decodeURIComponentSafe(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** True when `text` looks numeric enough that a resolver might read it as an IPv4 address (even an invalid one). */
export function looksLikeIpv4(text: string): boolean {
  return parseIpv4Number(text) !== null;
}

/** The embedded IPv4 of an IPv4-mapped address, else null. */
export function mappedIpv4(bytes: Uint8Array): Uint8Array | null {
  for (let i = 0; i < 12; i++) if (bytes[i] !== MAPPED_PREFIX[i]) return null;
  return bytes.subarray(12, 16);
}

/** Canonical text: dotted quad for IPv4(-mapped), RFC 5952 for IPv6. */
export function formatIp(bytes: Uint8Array): string {
  const v4 = mappedIpv4(bytes);
  if (v4 !== null) return [...v4].join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  // Longest run (>= 2) of zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export interface Cidr {
  bytes: Uint8Array;
  /** Prefix length over the 16-byte form (an IPv4 /n is /96+n). */
  bits: number;
}

/** `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). Null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.lastIndexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(addr);
  if (ip === null || ip.zone !== null) return null;
  const max = ip.v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const len = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(len) || Number(len) > max) return null;
    bits = Number(len);
  }
  return { bytes: ip.bytes, bits: ip.v4 ? 96 + bits : bits };
}

export function inCidr(bytes: Uint8Array, cidr: Cidr): boolean {
  let bits = cidr.bits;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] as number) & mask) !== ((cidr.bytes[i] as number) & mask)) return false;
  }
  return true;
}
