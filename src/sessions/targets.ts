/**
 * A session's declared target scope: which targets (mail addresses and domains, account
 * numbers, URLs, file paths, plain values such as channel names) the task an application
 * opened the session for may touch. This module owns the pattern kinds, their checking and
 * normalization when declared, and the one question policy asks: is an argument value inside
 * the declared targets? A value is inside when, normalized the way its pattern's kind
 * normalizes (case, IDN domains to punycode, a trailing dot, IBAN spacing, URL dot segments
 * and default ports, path dot segments), it equals or falls under one pattern; anything else
 * - a value of another kind, one that does not normalize, one that escapes a path - is
 * outside. A value that reads both as an address and as a URL (`evil.com/x@example.com`: to
 * a mailer an address at example.com, to a fetcher a URL on evil.com) names two hosts; when
 * they differ it is outside every domain and URL pattern.
 */
import { domainToASCII } from 'node:url';
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';

export const TARGET_KINDS = ['email', 'domain', 'iban', 'url', 'path', 'value'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * One declared target:
 * - `email`: one address (case-insensitive, IDN domain);
 * - `domain`: a domain and its subdomains - addresses at it, URLs on it, the bare host
 *   (`*.example.com` is read as `example.com`);
 * - `iban`: one account number (spaces and case ignored);
 * - `url`: an http(s) URL and everything below its path on the same host and port (a value
 *   without a scheme is read as https);
 * - `path`: a file path glob over normalized absolute or relative paths (`*` within a
 *   segment, `**` across segments, `?` one character; case-sensitive);
 * - `value`: one plain value (a channel, a user name, an id; case-insensitive).
 */
export interface TargetPattern {
  kind: TargetKind;
  value: string;
}

/** Bounds on what an application may declare. */
export const MAX_TARGETS = 256;
export const MAX_TARGET_CHARS = 1024;
const MAX_GLOB_WILDCARDS = 16;

function invalid(index: number, message: string): never {
  throw new AirlockError('ERR_SESSION_TARGETS', `targets[${index}]: ${message}`, { status: 400, details: { index } });
}

/** Lowercase punycode host with no trailing dot, or null when it is not a valid host. */
export function normalizeHost(text: string): string | null {
  if (text.length > 512) return null;
  const trimmed = text.normalize('NFC').trim();
  if (trimmed === '' || /[\s/@?#\\]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed);
  if (ascii === '') return null;
  const host = ascii.endsWith('.') ? ascii.slice(0, -1) : ascii;
  if (host === '' || host.startsWith('.') || host.includes('..')) return null;
  return host;
}

/** `local@host`, lowercased, host as normalizeHost; null when not one address. */
export function normalizeEmail(text: string): string | null {
  if (text.length > 512 || !text.includes('@')) return null;
  const trimmed = text.normalize('NFC').trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || trimmed.indexOf('@') !== at) return null;
  const local = trimmed.slice(0, at);
  if (/[\s<>(),;:"]/.test(local)) return null;
  const host = normalizeHost(trimmed.slice(at + 1));
  return host === null ? null : `${local.toLowerCase()}@${host}`;
}

/** An IBAN with spacing removed, uppercase; null when it is not shaped like one. */
export function normalizeIban(text: string): string | null {
  if (text.length > 80) return null;
  const compact = text.normalize('NFC').replace(/[\s-]+/g, '').toUpperCase();
  return /^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(compact) ? compact : null;
}

export interface NormalUrl {
  host: string;
  port: string;
  path: string;
}

/** Host (normalizeHost), port ('' for the default) and dot-segment-free path of an http(s) URL. */
export function normalizeUrl(text: string): NormalUrl | null {
  const trimmed = text.normalize('NFC').trim();
  if (trimmed === '' || /\s/.test(trimmed)) return null;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '') return null;
  const host = normalizeHost(url.hostname.replace(/^\[|\]$/g, ''));
  if (host === null) return null;
  const port = url.port === '80' || url.port === '443' ? '' : url.port;
  return { host, port, path: url.pathname === '' ? '/' : url.pathname };
}

/** A path with `//` collapsed and `.`/`..` resolved; null when `..` climbs above its start. */
export function normalizePath(text: string): string | null {
  const trimmed = text.normalize('NFC').trim();
  if (trimmed === '' || trimmed.includes('\0')) return null;
  const absolute = trimmed.startsWith('/');
  const out: string[] = [];
  for (const part of trimmed.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else {
      out.push(part);
    }
  }
  const joined = out.join('/');
  return absolute ? `/${joined}` : joined === '' ? null : joined;
}

function normalizeValue(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}

/** Paths longer than this are outside any glob (bounds the matcher's work). */
const MAX_MATCHED_PATH = 1024;

type GlobToken = string | '?' | '*' | '**';

/** A glob as tokens: literal characters, `?`, `*` (within a segment) and `**` (across segments). */
function globTokens(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      tokens.push('**');
      i++;
    } else {
      tokens.push(c);
    }
  }
  return tokens;
}

/**
 * Whether `path` matches the glob, in time linear in tokens x path length (a table over
 * positions, never backtracking: an attacker's path cannot make a declared glob slow).
 */
function globMatches(tokens: readonly GlobToken[], path: string): boolean {
  if (path.length > MAX_MATCHED_PATH) return false;
  const n = path.length;
  let current = new Uint8Array(n + 1);
  current[0] = 1;
  for (const token of tokens) {
    const next = new Uint8Array(n + 1);
    if (token === '**') {
      for (let j = 0; j <= n; j++) next[j] = current[j] === 1 || (j > 0 && next[j - 1] === 1) ? 1 : 0;
    } else if (token === '*') {
      for (let j = 0; j <= n; j++) next[j] = current[j] === 1 || (j > 0 && next[j - 1] === 1 && path[j - 1] !== '/') ? 1 : 0;
    } else if (token === '?') {
      for (let j = 0; j < n; j++) if (current[j] === 1 && path[j] !== '/') next[j + 1] = 1;
    } else {
      for (let j = 0; j < n; j++) if (current[j] === 1 && path[j] === token) next[j + 1] = 1;
    }
    current = next;
  }
  return current[n] === 1;
}

/** A declared pattern, checked and normalized, with what matching it needs. */
interface Compiled {
  kind: TargetKind;
  value: string;
  url?: NormalUrl;
  glob?: GlobToken[];
}

/**
 * Checks what an application declares (an array of `{kind, value}`, at most MAX_TARGETS,
 * values of at most MAX_TARGET_CHARS) and returns it normalized (duplicates removed, sorted).
 * Throws ERR_SESSION_TARGETS (400) naming the first bad entry; nothing is kept then.
 */
export function validateTargets(input: unknown): TargetPattern[] {
  if (!Array.isArray(input)) throw new AirlockError('ERR_SESSION_TARGETS', 'targets must be an array', { status: 400 });
  if (input.length > MAX_TARGETS) throw new AirlockError('ERR_SESSION_TARGETS', `at most ${MAX_TARGETS} targets`, { status: 400 });
  const out = new Map<string, TargetPattern>();
  input.forEach((entry: unknown, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) invalid(index, 'must be an object {kind, value}');
    const { kind, value, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) invalid(index, 'has fields other than kind and value');
    if (typeof kind !== 'string' || !(TARGET_KINDS as readonly string[]).includes(kind)) invalid(index, `kind must be one of ${TARGET_KINDS.join(', ')}`);
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TARGET_CHARS || !value.isWellFormed()) {
      invalid(index, `value must be a string of 1 to ${MAX_TARGET_CHARS} characters`);
    }
    const normal = normalizePattern(kind as TargetKind, value);
    if (normal === null) invalid(index, `not a valid ${kind}`);
    out.set(`${kind}\u0000${normal}`, { kind: kind as TargetKind, value: normal });
  });
  return [...out.values()].sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

function normalizePattern(kind: TargetKind, value: string): string | null {
  switch (kind) {
    case 'email':
      return normalizeEmail(value);
    case 'domain':
      return normalizeHost(value.trim().replace(/^\*\./, ''));
    case 'iban':
      return normalizeIban(value);
    case 'url': {
      const url = normalizeUrl(value);
      return url === null ? null : `${url.host}${url.port === '' ? '' : `:${url.port}`}${url.path}`;
    }
    case 'path': {
      const wildcards = (value.match(/[*?]/g) ?? []).length;
      if (wildcards > MAX_GLOB_WILDCARDS) return null;
      return normalizePath(value);
    }
    case 'value': {
      const normal = normalizeValue(value);
      return normal === '' ? null : normal;
    }
  }
}

function compile(pattern: TargetPattern): Compiled {
  if (pattern.kind === 'url') {
    const url = normalizeUrl(pattern.value);
    return url === null ? { kind: 'value', value: '\u0000' } : { ...pattern, url };
  }
  if (pattern.kind === 'path') return { ...pattern, glob: globTokens(pattern.value) };
  return pattern;
}

/** One argument value, normalized per kind at most once, on first need. */
class Value {
  readonly #text: string;
  readonly #cache = new Map<string, unknown>();

  constructor(text: string) {
    this.#text = text;
  }

  #once<T>(key: string, compute: (text: string) => T): T {
    if (!this.#cache.has(key)) this.#cache.set(key, compute(this.#text));
    return this.#cache.get(key) as T;
  }

  get email(): string | null {
    return this.#once('email', normalizeEmail);
  }

  get url(): NormalUrl | null {
    return this.#once('url', normalizeUrl);
  }

  /** The host a value names: an address's domain, a URL's host, or a bare host. */
  get host(): string | null {
    const email = this.email;
    if (email !== null) return email.slice(email.lastIndexOf('@') + 1);
    return this.url?.host ?? null;
  }

  /** True when the value reads both as an address and as a URL, on different hosts. */
  get twoHosts(): boolean {
    const email = this.email;
    const url = this.url;
    return email !== null && url !== null && url.host !== email.slice(email.lastIndexOf('@') + 1);
  }

  get iban(): string | null {
    return this.#once('iban', normalizeIban);
  }

  get path(): string | null {
    return this.#once('path', normalizePath);
  }

  get plain(): string {
    return this.#once('plain', normalizeValue);
  }
}

function under(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function matches(pattern: Compiled, value: Value): boolean {
  switch (pattern.kind) {
    case 'email':
      return value.email === pattern.value;
    case 'domain': {
      const host = value.host;
      return host !== null && !value.twoHosts && under(host, pattern.value);
    }
    case 'iban':
      return value.iban === pattern.value;
    case 'url': {
      const url = value.url;
      const base = pattern.url as NormalUrl;
      if (url === null || value.twoHosts || url.host !== base.host || url.port !== base.port) return false;
      if (base.path === '/' || url.path === base.path) return true;
      const prefix = base.path.endsWith('/') ? base.path : `${base.path}/`;
      return url.path.startsWith(prefix);
    }
    case 'path': {
      const path = value.path;
      return path !== null && globMatches(pattern.glob as GlobToken[], path);
    }
    case 'value':
      return value.plain === pattern.value;
  }
}

/** Matching against one session's declared targets (compiled once per session). */
export class TargetScope {
  readonly #patterns: Compiled[];

  constructor(patterns: readonly TargetPattern[]) {
    this.#patterns = patterns.map(compile);
  }

  /** True when `value` normalizes into one of the declared targets. */
  covers(value: string): boolean {
    const normalized = new Value(value);
    return this.#patterns.some((p) => matches(p, normalized));
  }

  /**
   * Dotted paths of the arguments holding a value outside the declared targets (an array
   * element reports the array's path, as taint does); strings and numbers are values, other
   * leaves are not targets.
   */
  outside(args: Record<string, JsonValue>): string[] {
    const out = new Set<string>();
    const visit = (value: JsonValue, path: string): void => {
      if (typeof value === 'string' || typeof value === 'number') {
        if (!this.covers(String(value))) out.add(path);
      } else if (Array.isArray(value)) {
        for (const item of value) visit(item, path);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
      }
    };
    for (const [name, value] of Object.entries(args)) visit(value, name);
    return [...out].sort();
  }
}
