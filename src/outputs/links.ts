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
 * and an optional title. A link reference definition (`[ref]: url`) may be used by an image
 * (`![x][ref]`, `![ref]`), so its destination is judged as an image. In HTML, every attribute
 * that makes the browser fetch (`src`, `srcset`, `poster`, `background`, `data`, `href` of any
 * element but `a` / `area`, ...) and every CSS `url(...)` is judged as an image; `href` of `a`
 * and `area` as a link. Every other URL is found as a bare URL, wherever it stands (GitHub's
 * autolinks follow a parenthesis too, and start at `www.`); one already judged and kept is not
 * counted twice. Scans are linear: one pass, bounded lookaheads.
 *
 * A URL is judged in every form a renderer or browser may read it in: as written, and with
 * HTML character references decoded and markdown backslash escapes removed; tabs and line
 * breaks (which the URL parser drops) and invisible characters (zero-width, soft hyphen, ...)
 * do not hide data. The host is a part that can carry data too (DNS exfiltration).
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

/**
 * An HTML attribute, quoted (a quoted value may span lines, as browsers read it) or not: an
 * unquoted value runs to whitespace or `>`.
 */
const HTML_ATTR = /(?<![\w:.-])([A-Za-z][\w:.-]{0,63})[ \t\r\n\f]{0,8}=[ \t\r\n\f]{0,8}(?:"([^"]{0,4096})"|'([^']{0,4096})'|([^\s>]{1,4096}))/g;
/** Attributes whose value is one URL the browser fetches by itself (`href` is judged by its element). */
const FETCH_ATTRS = new Set(['src', 'poster', 'background', 'data', 'lowsrc', 'dynsrc', 'longdesc', 'codebase', 'archive', 'manifest', 'icon', 'xlink:href', 'action', 'formaction', 'ping', 'cite', 'profile', 'usemap']);
/** Attributes holding a list of image candidates (`url 2x, url 640w`). */
const LIST_ATTRS = new Set(['srcset', 'imagesrcset']);
/** Elements whose `href` is followed only on a click (any other `href` — link, image, use, base — is fetched). */
const LINK_ELEMENTS = new Set(['a', 'area']);
/** CSS `url(...)`: fetched by the browser wherever a style applies. */
const CSS_URL = /\burl\([ \t\r\n\f]{0,16}(?:"([^"\n]{0,4096})"|'([^'\n]{0,4096})'|([^\s"'()]{1,4096}))[ \t\r\n\f]{0,16}\)/gi;
/** A link reference definition's destination (`[ref]: url`, or on the next line), wherever it stands. */
const DEFINITION = /(\]:[ \t]{0,16}(?:\r?\n[ \t]{0,16})?)(<[^<>\n]{0,4096}>|[^\s<>]{1,4096})/g;
/** A destination that can reach another host: a scheme, or a protocol-relative `//host` (backslashes count as slashes). */
const OFF_SITE = /^(?:[A-Za-z][A-Za-z0-9+.-]*:|[\\/]{2})/;
const BARE_URL = /\b(?:(?:https?|ftp|data):|www\.)[^\s<>"')\]]{1,4096}/gi;
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

/** The few named character references worth reading; any other named one makes the URL unreadable (fail closed). */
const NAMED_REFERENCES: Readonly<Record<string, string>> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', commat: '@', colon: ':', sol: '/', bsol: '\\', period: '.', quest: '?',
  equals: '=', num: '#', percnt: '%', plus: '+', lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', lowbar: '_', hyphen: '-', dash: '-', tab: '\t', newline: '\n',
};
const CHARACTER_REFERENCE = /&(?:#[xX]([0-9a-fA-F]{1,8});?|#([0-9]{1,10});?|([A-Za-z][A-Za-z0-9]{1,31});)/g;
/** Markdown backslash escapes: a backslash before ASCII punctuation stands for the punctuation. */
const BACKSLASH_ESCAPE = /\\([!-/:-@[-`{-~])/g;
/** What the URL parser ignores inside (tab, line breaks) and around (C0 controls, space) a URL. */
const URL_IGNORED = /[\t\n\r]/g;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
/** Set when a URL uses a character reference this module does not read. */
const UNREADABLE = '\u0000unreadable';

function decodeReferences(text: string): string {
  return text.replace(CHARACTER_REFERENCE, (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name !== undefined) return Object.hasOwn(NAMED_REFERENCES, name.toLowerCase()) ? (NAMED_REFERENCES[name.toLowerCase()] as string) : UNREADABLE;
    const code = Number.parseInt((hex ?? dec) as string, hex === undefined ? 10 : 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
  });
}

/** The forms a renderer or browser may read `url` in: as written, references decoded, escapes removed; without what the URL parser ignores. */
function readings(url: string): string[] {
  const clean = (text: string) => text.replace(URL_IGNORED, '').replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
  const forms = new Set([clean(url), clean(decodeReferences(url)), clean(decodeReferences(url.replace(BACKSLASH_ESCAPE, '$1')))]);
  return [...forms];
}

/** The host as written (original case, before IDN and percent decoding): data hidden in a host name is sent too (DNS). */
function writtenHost(url: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:[\\/]*(?:[^\\/?#@]*@)?([^\\/?#]*)/.exec(url);
  return match?.[1] ?? '';
}

function formCarriesData(url: string, policy: LinkPolicy): boolean {
  if (url.includes(UNREADABLE)) return true;
  if (/^data:/i.test(url)) return true;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true; // not a URL a client would fetch safely: treat as carrying data
  }
  if (parsed.protocol === 'data:') return true;
  const parts = [writtenHost(url), parsed.hostname, parsed.pathname, parsed.search, parsed.hash, parsed.username, parsed.password].map(safeDecode);
  return parts.some((part) => {
    if (part === '') return false;
    const visible = part.replace(INVISIBLE, '');
    // Host names are lowercased on the way (and a receiver reads any case): data is looked for in upper case too.
    return [...new Set([part, visible, visible.toUpperCase()])].some((text) => OPAQUE.test(text) || policy.carriesData(text));
  });
}

/** Whether a URL could carry data out (see the module comment). */
export function carriesData(url: string, policy: LinkPolicy): boolean {
  return readings(url).some((form) => formCarriesData(form, policy));
}

export function neutraliseLinks(text: string, policy: LinkPolicy): { text: string; report: LinkReport } {
  const report: LinkReport = { count: 0, images: 0, data_urls: 0, neutralised: 0, exfiltration: false, hosts: [] };
  const hosts = new Set<string>();
  const judge = (url: string, image: boolean): boolean => {
    report.count++;
    if (image) report.images++;
    const forms = readings(url);
    if (forms.some((form) => /^data:/i.test(form))) report.data_urls++;
    const formHosts = forms.map(hostOf);
    const data = carriesData(url, policy);
    if (data) report.exfiltration = true;
    const remove = data || (image && formHosts.some((host) => !allowed(host, policy.allowedHosts)));
    if (remove) {
      report.neutralised++;
      for (const host of formHosts) if (host !== null && host !== '') hosts.add(host);
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
  const offSite = (url: string): boolean => readings(url).some((form) => OFF_SITE.test(form));
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
  // Reference definitions: an image may use them, so they are judged as images (only those that can reach another host).
  out = out.replace(DEFINITION, (whole, lead: string, dest: string) => {
    const url = dest.startsWith('<') ? dest.slice(1, -1) : dest;
    if (!offSite(url)) return whole;
    return keep(url, true) ? `${lead}#removed` : whole;
  });
  // HTML attributes, each judged by what the browser does with it (the element is the nearest open tag before it).
  const html = out;
  let scanned = 0;
  let lastOpen = -1;
  let lastClose = -1;
  const elementAt = (at: number): string | null => {
    for (; scanned < at; scanned++) {
      const c = html.charCodeAt(scanned);
      if (c === 60) lastOpen = scanned;
      else if (c === 62) lastClose = scanned;
    }
    if (lastOpen === -1 || lastClose > lastOpen) return null;
    return /^[A-Za-z][A-Za-z0-9:-]{0,63}/.exec(html.slice(lastOpen + 1, lastOpen + 66))?.[0].toLowerCase() ?? null;
  };
  out = html.replace(HTML_ATTR, (whole, attr: string, double: string | undefined, single: string | undefined, bare: string | undefined, offset: number) => {
    const name = attr.toLowerCase();
    const value = (double ?? single ?? bare) as string;
    const quote = double !== undefined ? '"' : single !== undefined ? "'" : '';
    const element = elementAt(offset);
    const removed = `${attr}=${quote}#removed${quote}`;
    if (LIST_ATTRS.has(name)) {
      const candidates = value.split(',').map((c) => c.trim().split(/[ \t\r\n\f]+/)[0] ?? '').filter((c) => c !== '');
      let remove = false;
      for (const url of candidates) remove = keep(url, true) || remove;
      return remove ? removed : whole;
    }
    const fetches = FETCH_ATTRS.has(name) || (name === 'href' && !LINK_ELEMENTS.has(element ?? ''));
    if (!fetches && name !== 'href') return whole;
    // Outside a tag only src / href or a value that can reach another host count (prose like "data=5" does not).
    if (element === null && name !== 'src' && name !== 'href' && !offSite(value)) return whole;
    return keep(value, fetches) ? removed : whole;
  });
  out = out.replace(CSS_URL, (whole, double: string | undefined, single: string | undefined, bare: string | undefined) => {
    const url = (double ?? single ?? bare) as string;
    return keep(url, true) ? 'url(#removed)' : whole;
  });
  out = out.replace(BARE_URL, (url: string) => {
    if (kept.has(url)) return url;
    return judge(/^www\./i.test(url) ? `https://${url}` : url, false) ? '[link removed]' : url;
  });
  report.hosts = [...hosts].sort();
  return { text: out, report };
}
