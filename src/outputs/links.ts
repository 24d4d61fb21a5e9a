/**
 * Exfiltration through links in outputs. A model that renders markdown fetches images by
 * itself, and a user clicks links: a URL that carries session data (an email, an IBAN, a
 * secret, a long opaque token in its query, path or fragment) or a `data:` URL leaks it. This
 * module finds links — markdown images and links, HTML `src`/`href`, bare URLs — and
 * neutralises every one that could carry data out: `data:` URLs always; other URLs unless
 * their host is allowed and they carry nothing that looks like data. Markdown images to a
 * host that is not allowed are removed whatever they carry (fetching is itself the leak).
 *
 * Markdown links and images are found the way renderers find them, by one pass that pairs
 * brackets (nested brackets and line breaks in the text, backslash escapes, an image inside a
 * link), then reads the destination (`<...>` with spaces, or a run with balanced parentheses)
 * and an optional title. Every other URL is found as a bare URL, wherever it stands (GitHub's
 * autolinks follow a parenthesis too); one already judged and kept is not counted twice.
 * Scans are linear: one pass, bounded lookaheads.
 */

export interface LinkReport {
  /** Links found (all kinds). */
  count: number;
  images: number;
  data_urls: number;
  /** Links removed because they could carry data out. */
  neutralised: number;
  /** True when at least one link carried data (or was a `data:` URL). */
  exfiltration: boolean;
  /** Hosts of the removed links (for the audit record; never the URLs). */
  hosts: string[];
}

export interface LinkPolicy {
  /** Hosts (and their subdomains) whose links may stay when they carry no data. */
  allowedHosts: string[];
  /** Says whether a piece of a URL holds a data-class value (emails, IBANs, secrets, ...). */
  carriesData(text: string): boolean;
}

/** An HTML `src` or `href`, quoted or not: an unquoted value runs to whitespace or `>`, as browsers read it. */
const HTML_ATTR = /\b(src|href)\s{0,8}=\s{0,8}(?:(["'])([^"'\n]{1,4096})\2|([^\s>]{1,4096}))/gi;
const BARE_URL = /\b(?:https?|ftp|data):[^\s<>"')\]]{1,4096}/gi;
/** Longest destination and title read; deepest brackets and parentheses paired. */
const MAX_URL = 4096;
const MAX_TITLE = 500;
const MAX_NESTING = 32;
const SPACE = /[ \t\r\n]/;

/** A markdown link or image: `[label](url "title")`, `![alt](url)`, at [start, end). */
interface MarkdownLink {
  start: number;
  end: number;
  image: boolean;
  labelStart: number;
  labelEnd: number;
  url: string;
}

/** Skips up to 16 spaces, tabs and line breaks from `at`. */
function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length && i - at < 16 && SPACE.test(text[i] as string)) i++;
  return i;
}

/** The destination (and title) that starts at `at`, just after `](`, up to its `)`; null when there is none. */
function destination(text: string, at: number): { url: string; end: number } | null {
  let i = skipSpace(text, at);
  let url: string;
  const pointed = text[i] === '<' ? text.slice(i + 1, i + 2 + MAX_URL).search(/[<>\n]/) : -1;
  if (pointed !== -1 && text[i + 1 + pointed] === '>') {
    url = text.slice(i + 1, i + 1 + pointed);
    i += pointed + 2;
  } else {
    const start = i;
    let depth = 0;
    while (i < text.length && i - start < MAX_URL) {
      const c = text[i] as string;
      if (SPACE.test(c) || c < ' ') break;
      if (c === '\\') i++;
      else if (c === '(' && ++depth > MAX_NESTING) break;
      else if (c === ')' && depth-- === 0) break;
      i++;
    }
    url = text.slice(start, i);
  }
  i = skipSpace(text, i);
  const quote = text[i];
  if (quote === '"' || quote === "'" || quote === '(') {
    // Looked for within MAX_TITLE only: an unclosed title must not send every attempt to the end of the text.
    const close = text.slice(i + 1, i + 1 + MAX_TITLE).indexOf(quote === '(' ? ')' : quote);
    if (close !== -1) i = skipSpace(text, i + 2 + close);
  }
  return text[i] === ')' && url !== '' ? { url, end: i + 1 } : null;
}

/** Every markdown link and image in `text`, in one pass (see the module comment). */
function markdownLinks(text: string): MarkdownLink[] {
  const found: MarkdownLink[] = [];
  const open: Array<{ at: number; image: boolean }> = [];
  let escaped = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      escaped = ++i;
    } else if (c === '[') {
      if (open.length === MAX_NESTING) open.shift();
      open.push({ at: i, image: i > 0 && text[i - 1] === '!' && escaped !== i - 1 });
    } else if (c === ']') {
      const opened = open.pop();
      if (opened === undefined || text[i + 1] !== '(') continue;
      const target = destination(text, i + 2);
      if (target === null) continue;
      found.push({ start: opened.image ? opened.at - 1 : opened.at, end: target.end, image: opened.image, labelStart: opened.at + 1, labelEnd: i, url: target.url });
      i = target.end - 1;
    }
  }
  return found;
}
/** A run that looks like an encoded value: base64/base64url/hex, long enough to carry data. */
const OPAQUE = /[A-Za-z0-9+/_=-]{32,}/;

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function allowed(host: string | null, hosts: string[]): boolean {
  return host !== null && hosts.some((h) => host === h || host.endsWith(`.${h}`));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Whether a URL could carry data out (see the module comment). */
export function carriesData(url: string, policy: LinkPolicy): boolean {
  if (/^data:/i.test(url.trim())) return true;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true; // not a URL a client would fetch safely: treat as carrying data
  }
  const parts = [parsed.pathname, parsed.search, parsed.hash, parsed.username, parsed.password].map(safeDecode);
  return parts.some((part) => part !== '' && (OPAQUE.test(part) || policy.carriesData(part)));
}

export function neutraliseLinks(text: string, policy: LinkPolicy): { text: string; report: LinkReport } {
  const report: LinkReport = { count: 0, images: 0, data_urls: 0, neutralised: 0, exfiltration: false, hosts: [] };
  const hosts = new Set<string>();
  const judge = (url: string, image: boolean): boolean => {
    report.count++;
    if (image) report.images++;
    const isData = /^data:/i.test(url);
    if (isData) report.data_urls++;
    const host = hostOf(url);
    const data = carriesData(url, policy);
    if (data) report.exfiltration = true;
    const remove = data || (image && !allowed(host, policy.allowedHosts));
    if (remove) {
      report.neutralised++;
      if (host !== null) hosts.add(host);
    }
    return remove;
  };
  /** URLs judged and kept: the bare-URL pass finds them again and leaves them uncounted. */
  const kept = new Set<string>();
  const keep = (url: string, image: boolean): boolean => {
    const remove = judge(url, image);
    if (!remove) kept.add(url);
    return remove;
  };
  /** Rewrites the markdown links of `part`, outermost first, each with its label rewritten before it is judged (an image inside a link's label). */
  const rewrite = (part: string): string => {
    // Found as they close (an inner image before the link around it): outermost first here.
    const links = markdownLinks(part).sort((a, b) => a.start - b.start);
    let out = '';
    let at = 0;
    for (const link of links) {
      if (link.start < at) continue; // inside a link already rewritten with its label
      const label = rewrite(part.slice(link.labelStart, link.labelEnd));
      const whole = part.slice(link.start, link.labelStart) + label + part.slice(link.labelEnd, link.end);
      const removed = keep(link.url, link.image);
      out += part.slice(at, link.start) + (!removed ? whole : link.image ? `[image removed${label === '' ? '' : `: ${label}`}]` : `${label} [link removed]`);
      at = link.end;
    }
    return out + part.slice(at);
  };
  let out = rewrite(text);
  out = out.replace(HTML_ATTR, (whole, attr: string, quote: string | undefined, quoted: string | undefined, bare: string | undefined) => {
    const url = (quoted ?? bare) as string;
    return keep(url, attr.toLowerCase() === 'src') ? `${attr}=${quote ?? ''}#removed${quote ?? ''}` : whole;
  });
  out = out.replace(BARE_URL, (url: string) => (kept.has(url) ? url : judge(url, false) ? '[link removed]' : url));
  report.hosts = [...hosts].sort();
  return { text: out, report };
}
