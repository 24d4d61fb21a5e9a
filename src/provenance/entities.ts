/**
 * Meaningful substrings ("entities") of a text, in a normalized form that is compared
 * exactly: email addresses, URLs, domain names, IBANs, phone numbers, file paths, and
 * identifiers and numbers. The same function runs over registered content and over tool
 * arguments, so an entity matches when it appears in both, whatever the surrounding text.
 *
 * The rules (docs/policy-model.md, "Provenance"):
 * - text is folded first (invisible code points removed, NFKC, lowercase): `Bob@Example.COM`
 *   and `bob@example.com` match, and so do `GB82\u200bWEST...` and `GB82WEST...`;
 * - email: `local@domain`, key the whole address (also yields its domain);
 * - URL: `scheme://host/path`, `www.host/path` or `host/path` whose first part is a domain
 *   (`github.com/eve/x`: a model writing it as a link adds `https://`); key `host/path`
 *   without `www.`, scheme, user info, port, query, fragment or trailing `/` (also yields the
 *   host as a domain, and a path of 8 or more characters as a file path: a call may take
 *   host and path apart);
 * - domain: two or more dot-separated labels ending in a 2-24 letter top-level label; key
 *   without a leading `www.`;
 * - IBAN: two letters, two check digits, then 11-30 letters and digits, with or without
 *   up to three separator characters (whitespace, `-`, `.`) between groups of four; key without them;
 * - phone, card or account number: a run of digits and `( ) . - space` separators,
 *   optionally starting with `+`, holding 7 to 34 digits; key the digits only (a model copying
 *   `4111-1111-1111-1111` often writes `4111111111111111`); a run of 9 to 15 digits (a phone
 *   number, national or international) also yields `tel:` and its last 9 digits, so
 *   `(555) 123-4567` matches `+15551234567` and `+44 20 7946 0958` matches `020 7946 0958`;
 * - file path: starts with `/`, `~/`, `./`, `../` or a drive (`c:\`), or contains a `/`
 *   and ends in an extension; key with `\` turned into `/`; a path in a home directory
 *   (`/home/<user>/`, `/users/<user>/`, `c:/users/<user>/`) also yields its `~/` form;
 * - identifier: a run of letters and digits joined by `_`, `-` or `.`, at least 4
 *   characters long and containing a digit or an underscore (`cus_acme_ada`, `inv-2024-7`,
 *   `us1330000001`); a number (`1,000.00`, `1000.0`) becomes its canonical decimal
 *   (`1000`) and counts when it has at least 4 digits; so does one written with a decimal
 *   comma or with `.`, space or `'` between groups of thousands (`1.234,56`, `12 500,00`,
 *   `1'234.50`, `1.000.000`: `1234.56`, `12500`, `1234.5`, `1000000`).
 * Plain words never count, however long: common text must not taint everything. Every scan
 * is linear in the length of the text (bounded look-around, no backtracking regex over
 * unbounded input), since registered content may be written by an attacker.
 */

/** Characters that end a piece: whitespace and punctuation no entity contains. */
const PIECE = /[^\s"'<>()[\]{},;!?|*^$=#`]+/gu;
const SUB_TOKEN = /[\p{L}\p{N}]+(?:[_\-.][\p{L}\p{N}]+)*/gu;
const THOUSANDS = /(?<![\p{N}.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\p{N}])/gu;
const IBAN = /(?<![\p{L}\p{N}])[a-z]{2}\d{2}[\s.-]{0,3}[a-z0-9]{4}(?:[\s.-]{0,3}(?=[a-z]{0,3}\d)[a-z0-9]{4}){1,7}(?:[\s.-]{0,3}(?=[a-z]{0,2}\d)[a-z0-9]{1,3})?(?![\p{L}\p{N}])/gu;
const PHONE = /(?<![\p{L}\p{N}+])\+?\(?\d[\d().\- ]*\d/gu;
/**
 * Amounts in other locales: groups of thousands after `.`, space or `'`, then an optional
 * decimal comma or point (`1.234,56`, `12 500,00`, `1'234.50`); or digits and a decimal comma (`1234,56`). Linear:
 * a failed match at one start fails within its first group, a greedy one is consumed.
 */
const LOCALE_NUMBER = /(?<![\p{N}.,'])(?:\d{1,3}((?:[.' ]\d{3})+)([.,]\d{1,4})?|\d{4,20}(,\d{1,4}))(?![\p{N}])/gu;
/** Digits of a phone number's subscriber part (its last digits, without country code or trunk prefix). */
const PHONE_TAIL = 9;
const HOME = /^(?:[a-z]:)?\/(?:home|users)\/[^/]+\/(?=.)/;

const MIN_LENGTH = 4;
/** Digits of the longest grouped number keyed by its digits: an IBAN's BBAN, a card or account number. */
const MAX_DIGIT_RUN = 34;
const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_URL = 2048;
/** Shortest URL path that also counts as a path on its own (`/attacker/x`; not `/home`). */
const MIN_URL_PATH = 8;

const LOCAL_CHAR = /[a-z0-9._%+-]/;
const DOMAIN_CHAR = /[\p{L}\p{N}.-]/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const TLD = /^\p{L}{2,24}$/u;
const NUMBER = /^\d+(?:\.\d+)?$/;
const HAS_DIGIT = /\d/;
const EXTENSION = /\.[a-z0-9]{1,8}$/;
const DRIVE = /^[a-z]:[\\/]/;

/** True for `label(.label)+.tld` (used for hosts and bare domains). */
export function isDomain(value: string): boolean {
  if (value.length < MIN_LENGTH || value.length > MAX_DOMAIN) return false;
  const labels = value.split('.');
  if (labels.length < 2) return false;
  if (!TLD.test(labels[labels.length - 1] as string)) return false;
  return labels.every((l) => LABEL.test(l));
}

function withoutWww(host: string): string {
  return host.startsWith('www.') && isDomain(host.slice(4)) ? host.slice(4) : host;
}

/** `1000.00` -> `1000`, `12.50` -> `12.5`; null when not a plain decimal. */
export function canonicalNumber(text: string): string | null {
  if (!NUMBER.test(text)) return null;
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

function addNumber(canonical: string, out: Set<string>): void {
  let digits = 0;
  for (let i = 0; i < canonical.length; i++) if (canonical.charCodeAt(i) !== 46) digits++;
  if (digits >= MIN_LENGTH) out.add(canonical);
}

function addSubTokens(piece: string, out: Set<string>): void {
  for (const match of piece.matchAll(SUB_TOKEN)) {
    const token = match[0];
    if (token.length < MIN_LENGTH) continue;
    const number = canonicalNumber(token);
    if (number !== null) {
      addNumber(number, out);
      continue;
    }
    if (isDomain(token)) out.add(withoutWww(token));
    if (HAS_DIGIT.test(token) || token.includes('_')) out.add(token);
  }
}

function addEmails(piece: string, out: Set<string>): void {
  let at = piece.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start < MAX_LOCAL && LOCAL_CHAR.test(piece[start - 1] as string)) start--;
    let end = at + 1;
    while (end < piece.length && end - at <= MAX_DOMAIN && DOMAIN_CHAR.test(piece[end] as string)) end++;
    let local = piece.slice(start, at);
    while (local.startsWith('.')) local = local.slice(1);
    let domain = piece.slice(at + 1, end);
    while (domain.endsWith('.') || domain.endsWith('-')) domain = domain.slice(0, -1);
    if (local !== '' && !local.endsWith('.') && isDomain(domain)) {
      out.add(`${local}@${domain}`);
      out.add(withoutWww(domain));
    }
    at = piece.indexOf('@', at + 1);
  }
}

/** Adds a URL's key and host; returns true when the piece held a URL with a scheme or `www.` (a bare `host/path` may be a file path too). */
function addUrl(piece: string, out: Set<string>): boolean {
  const scheme = piece.indexOf('://');
  let rest: string;
  let bare = false;
  if (scheme > 0) rest = piece.slice(scheme + 3);
  else if (piece.startsWith('www.')) rest = piece;
  else {
    rest = piece;
    bare = true;
  }
  if (rest.length > MAX_URL) return !bare;
  const slash = rest.indexOf('/');
  if (bare && slash <= 0) return false;
  let authority = slash === -1 ? rest : rest.slice(0, slash);
  let path = slash === -1 ? '' : rest.slice(slash);
  if (bare && (authority.includes('@') || authority.includes('\\'))) return false;
  const userinfo = authority.lastIndexOf('@');
  if (userinfo !== -1) authority = authority.slice(userinfo + 1);
  const port = authority.indexOf(':');
  if (port !== -1) authority = authority.slice(0, port);
  while (path.endsWith('/')) path = path.slice(0, -1);
  if (!isDomain(authority)) return !bare;
  const host = withoutWww(authority);
  out.add(host);
  if (path !== '') {
    out.add(`${host}${path}`);
    if (path.length >= MIN_URL_PATH) out.add(path);
  }
  return !bare;
}

function addPath(piece: string, out: Set<string>): void {
  if (!piece.includes('/') && !piece.includes('\\')) return;
  const path = piece.replaceAll('\\', '/');
  const anchored = path.startsWith('/') || path.startsWith('~/') || path.startsWith('./') || path.startsWith('../') || DRIVE.test(path);
  if (!anchored && !EXTENSION.test(path)) return;
  let key = path;
  while (key.length > 1 && key.endsWith('/')) key = key.slice(0, -1);
  if (key.length < MIN_LENGTH) return;
  out.add(key);
  // `~/docs/x` and `/home/alice/docs/x` name the same file: a model expands or shortens it.
  const home = HOME.exec(key);
  if (home !== null) out.add(`~/${key.slice(home[0].length)}`);
}

function trimPiece(raw: string): string {
  let start = 0;
  let end = raw.length;
  while (start < end && raw.charCodeAt(start) === 58) start++; // ':'
  while (end > start && (raw.charCodeAt(end - 1) === 46 || raw.charCodeAt(end - 1) === 58)) end--; // '.', ':'
  return raw.slice(start, end);
}

/**
 * Addresses written so that they do not read as addresses (`eve [at] evil [dot] example`,
 * `hxxps://evil[.]example`): text that spells them this way says them all the same, and a
 * model asked to use them writes the plain form. Returns the text with such spellings made
 * plain, or null when it has none (the common case: one search over the text).
 */
const OBFUSCATION = /[[({<] {0,3}(?:dot|at|\.|@|:) {0,3}[\])}>]|\bh(?:xx|\*\*)ps?\b|[\p{L}\p{N}] {1,3}dot {1,3}[\p{L}\p{N}]/u;
function deobfuscated(folded: string): string | null {
  if (!OBFUSCATION.test(folded)) return null;
  return folded
    .replace(/\bh(?:xx|\*\*)p(s?)(?:\[:\]|:)/g, 'http$1:')
    .replace(/ {0,3}[[({<] {0,3}(?:dot|\.) {0,3}[\])}>] {0,3}/g, '.')
    .replace(/ {0,3}[[({<] {0,3}(?:at|@) {0,3}[\])}>] {0,3}/g, '@')
    .replace(/[[({<] {0,3}: {0,3}[\])}>]/g, ':')
    .replace(/([\p{L}\p{N}]) {1,3}dot {1,3}(?=[\p{L}\p{N}])/gu, '$1.')
    .replace(/([\p{L}\p{N}_%+-]) {1,3}at {1,3}(?=[\p{L}\p{N}-]+\.[\p{L}\p{N}])/gu, '$1@');
}

/**
 * Entities of already-folded text (see `fold` in text.ts), added to `out`: those of the
 * text as written and, when it spells addresses so that they do not read as such (see
 * `deobfuscated`), those of their plain form too. Returns `out`.
 */
export function extractEntities(folded: string, out: Set<string> = new Set()): Set<string> {
  extractFrom(folded, out);
  const plain = deobfuscated(folded);
  if (plain !== null && plain !== folded) extractFrom(plain, out);
  return out;
}

function extractFrom(folded: string, out: Set<string>): void {
  for (const match of folded.matchAll(PIECE)) {
    const piece = trimPiece(match[0]);
    if (piece.length < MIN_LENGTH) continue;
    if (piece.includes('@')) addEmails(piece, out);
    if (!addUrl(piece, out)) addPath(piece, out);
    addSubTokens(piece, out);
  }
  for (const match of folded.matchAll(THOUSANDS)) addNumber(canonicalNumber(match[0].replaceAll(',', '')) ?? '', out);
  for (const match of folded.matchAll(IBAN)) {
    const compact = match[0].replace(/[\s.-]/g, '');
    if (compact.length >= 15 && compact.length <= 34) out.add(compact);
  }
  for (const match of folded.matchAll(PHONE)) {
    const digits = match[0].replace(/\D/g, '');
    if (digits.length >= 7 && digits.length <= MAX_DIGIT_RUN) out.add(digits);
    if (digits.length >= PHONE_TAIL && digits.length <= 15) out.add(`tel:${digits.slice(-PHONE_TAIL)}`);
  }
  for (const match of folded.matchAll(LOCALE_NUMBER)) {
    const [written, groups, fraction, comma] = match as unknown as [string, string | undefined, string | undefined, string | undefined];
    // One group of thousands after `.`, with no decimal comma (`1.234`), is an English decimal.
    if (groups !== undefined && fraction === undefined && groups.length === 4 && groups.startsWith('.')) continue;
    const decimal = fraction ?? comma;
    const whole = (decimal === undefined ? written : written.slice(0, -decimal.length)).replace(/[.' ]/g, '');
    const canonical = canonicalNumber(decimal === undefined ? whole : `${whole}.${decimal.slice(1)}`);
    if (canonical !== null) addNumber(canonical, out);
  }
}
