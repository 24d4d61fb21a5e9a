/**
 * Exfiltration through links in outputs. A model that renders markdown fetches images by
 * itself, and a user clicks links: a URL that carries session data (an email, an IBAN, a
 * secret, a long opaque token in its query, path or fragment) or a `data:` URL leaks it. This
 * module finds links — markdown images and links, HTML `src`/`href`, bare URLs — and
 * neutralises every one that could carry data out: `data:` URLs always; other URLs unless
 * their host is allowed and they carry nothing that looks like data. Markdown images to a
 * host that is not allowed are removed whatever they carry (fetching is itself the leak).
 * Scans are linear: bounded quantifiers only.
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

const MARKDOWN_IMAGE = /!\[([^\]\n]{0,500})\]\(\s{0,8}(<?)([^\s)>]{1,4096})>?(?:\s{1,8}"[^"\n]{0,500}")?\s{0,8}\)/g;
const MARKDOWN_LINK = /(?<!!)\[([^\]\n]{0,500})\]\(\s{0,8}(<?)([^\s)>]{1,4096})>?(?:\s{1,8}"[^"\n]{0,500}")?\s{0,8}\)/g;
const HTML_ATTR = /\b(src|href)\s{0,8}=\s{0,8}(["'])([^"'\n]{1,4096})\2/gi;
const BARE_URL = /(?<![("'=<])\b(?:https?|ftp|data):[^\s<>"')\]]{1,4096}/gi;
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
  let out = text.replace(MARKDOWN_IMAGE, (whole, alt: string, _lt: string, url: string) => (judge(url, true) ? `[image removed${alt === '' ? '' : `: ${alt}`}]` : whole));
  out = out.replace(MARKDOWN_LINK, (whole, label: string, _lt: string, url: string) => (judge(url, false) ? `${label} [link removed]` : whole));
  out = out.replace(HTML_ATTR, (whole, attr: string, quote: string, url: string) => (judge(url, attr.toLowerCase() === 'src') ? `${attr}=${quote}#removed${quote}` : whole));
  out = out.replace(BARE_URL, (url: string) => (judge(url, false) ? '[link removed]' : url));
  report.hosts = [...hosts].sort();
  return { text: out, report };
}
