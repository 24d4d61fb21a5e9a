/**
 * Redaction of data classes that must never enter a prompt: email addresses, IBANs (ISO 13616
 * mod-97 checksum, ibantools), payment card numbers (Luhn-checked), secrets (API keys, tokens,
 * private keys, credentials in URLs, bearer/basic credentials), phone numbers (the pattern
 * below, and international numbers libphonenumber-js finds) and national ids (US social
 * security numbers and UK national insurance numbers, with their validity rules). Each
 * occurrence becomes `[REDACTED:<class>]`, or what the caller's replacer returns for it (a
 * reference token, see src/outputs).
 *
 * Patterns are written for text an attacker may control: every quantifier is bounded or
 * follows a literal prefix, so a scan is linear in the text. A run of more than 1,024
 * characters without whitespace is treated as a possible secret (an encoded blob) when
 * secrets are redacted, rather than scanned.
 *
 * `findSecrets` / `containsSecret` are the same secret detector, for callers that refuse
 * rather than redact (governed memory).
 */
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { findPhoneNumbersInText } from 'libphonenumber-js';
import type { RedactionClass } from '../config/types.ts';

export const REDACTION_CLASSES: readonly RedactionClass[] = ['secret', 'card', 'iban', 'national_id', 'email', 'phone'];

/** What an occurrence of a data class is replaced with (default: `[REDACTED:<class>]`). */
export type Replacer = (cls: RedactionClass, value: string) => string;

const marker = (cls: RedactionClass) => `[REDACTED:${cls}]`;

/**
 * key=value secrets: the key may end a longer name (`DB_PASSWORD=`, `aws_secret_access_key =`),
 * follow a JSON escape (`...\npassword=`), and be quoted with its value (`"password": "..."`,
 * `\"api_key\":\"...\"` in JSON inside JSON).
 */
const KEY_VALUE_SECRET =
  /(?:(?<![A-Za-z0-9])|(?<=\\[nrt]))(?:password|passwd|pwd|secret[_-]?access[_-]?key|secret|api[_-]?key|access[_-]?token|client[_-]?secret)(?:\\?["'])?[ \t]{0,4}[:=][ \t]{0,4}(?:\\?["'])?[^\s"',;]{4,256}/gi;

const SECRET_PATTERNS: RegExp[] = [
  /sk-[A-Za-z0-9_-]{8,512}/g, // OpenAI / Anthropic-style API keys
  /sk_(?:live|test)_[A-Za-z0-9]{8,512}/g, // Stripe secret keys
  /gh[pousr]_[A-Za-z0-9]{16,255}/g, // GitHub tokens
  /github_pat_[A-Za-z0-9_]{16,255}/g,
  /(?:AKIA|ASIA)[A-Z0-9]{16}/g, // AWS access key ids
  /xox[abprs]-[A-Za-z0-9-]{8,255}/g, // Slack tokens
  /AIza[A-Za-z0-9_-]{30,255}/g, // Google API keys
  /\b(?:bearer|basic)[ \t]{1,16}[A-Za-z0-9._~+/=-]{8,2048}/gi, // Authorization header values
  /\b[a-z][a-z0-9+.-]{0,31}:\/\/[^/\s:@]{1,256}:[^/\s@]{1,256}@/gi, // credentials in a URL
  KEY_VALUE_SECRET,
];

/**
 * A run of more than 1,024 characters without whitespace, tried only where a run starts: without
 * the lookbehind, every position of a shorter run was tried again, about 1,000 steps per character.
 */
const BLOB = /(?<!\S)\S{1025,}/g;
/** JWT / JWS compact candidates; nothing is required after the run, so the scan stays linear. */
const JWT = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){0,2}/g;
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const PEM_BEGIN = '-----BEGIN ';
const PEM_END = '-----END ';

const LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const DOMAIN_CHAR = /[A-Za-z0-9.-]/;
const DOMAIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}$/;
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2} ?[A-Z0-9]{4}(?: ?(?=[A-Z]{0,3}\d)[A-Z0-9]{4}){1,7}(?: ?(?=[A-Z]{0,2}\d)[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{2,4}(?:[ .-]\d{2,5}){1,3}(?![\w-])/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000. */
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])/g;
/** UK NINO: prefix letters without D F I Q U V (second also not O), not BG GB KN NK NT TN ZZ; suffix A-D. */
const NINO = /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** PEM blocks, found with indexOf (a block without an END runs to the end of the text). */
function pemRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf(PEM_BEGIN, from);
    if (start === -1) return out;
    const end = text.indexOf(PEM_END, start + PEM_BEGIN.length);
    if (end === -1) {
      out.push([start, text.length]);
      return out;
    }
    const close = text.indexOf('-----', end + PEM_END.length);
    const stop = close === -1 ? text.length : Math.min(text.length, close + 5);
    out.push([start, stop]);
    from = stop;
  }
}

/** Ranges of email addresses: each `@` expanded left (local part) and right (domain), bounded. */
function emailRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = text.indexOf('@');
  while (at !== -1) {
    let start = at;
    while (start > 0 && at - start < 64 && LOCAL_CHAR.test(text[start - 1] as string)) start--;
    let end = at + 1;
    while (end < text.length && end - at <= 253 && DOMAIN_CHAR.test(text[end] as string)) end++;
    while (end > at + 1 && (text[end - 1] === '.' || text[end - 1] === '-')) end--;
    if (start < at && DOMAIN.test(text.slice(at + 1, end))) out.push([start, end]);
    at = text.indexOf('@', at + 1);
  }
  return out;
}

/** Ranges `[start, end)` of secrets in `text`. */
export function findSecrets(text: string): Array<[number, number]> {
  const ranges = pemRanges(text);
  for (const match of text.matchAll(BLOB)) ranges.push([match.index, match.index + match[0].length]);
  for (const match of text.matchAll(JWT)) {
    if (JWT_SHAPE.test(match[0])) ranges.push([match.index, match.index + match[0].length]);
  }
  for (const pattern of SECRET_PATTERNS) {
    for (const match of text.matchAll(pattern)) ranges.push([match.index, match.index + match[0].length]);
  }
  return ranges;
}

export function containsSecret(text: string): boolean {
  return findSecrets(text).length > 0;
}

function replaceRanges(text: string, ranges: Array<[number, number]>, cls: RedactionClass, replace: Replacer): { text: string; count: number } {
  if (ranges.length === 0) return { text, count: 0 };
  const sorted = [...ranges].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let at = 0;
  let count = 0;
  for (const [start, end] of sorted) {
    if (end <= at) continue;
    out += text.slice(at, Math.max(at, start)) + replace(cls, text.slice(Math.max(at, start), end));
    at = end;
    count++;
  }
  return { text: out + text.slice(at), count };
}

function replacePattern(text: string, pattern: RegExp, cls: RedactionClass, keep: (m: string) => boolean, replace: Replacer): { text: string; count: number } {
  let count = 0;
  const out = text.replace(pattern, (m) => {
    if (keep(m)) return m;
    count++;
    return replace(cls, m);
  });
  return { text: out, count };
}

export interface Redaction {
  text: string;
  /** Occurrences redacted, per class (only classes that occurred). */
  counts: Partial<Record<RedactionClass, number>>;
}

/**
 * International phone numbers libphonenumber-js finds (`+<country code> ...`), as ranges.
 * The library throws and catches a ParseError for every candidate that does not parse, and a
 * stack trace is most of that cost (half the time on a text dense with `+1`): none is kept
 * while it runs. Its results are unchanged; an error it lets out (none is expected) has no stack.
 */
function phoneRanges(text: string): Array<[number, number]> {
  if (!text.includes('+')) return [];
  const traces = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return findPhoneNumbersInText(text).map((found) => [found.startsAt, found.endsAt] as [number, number]);
  } finally {
    Error.stackTraceLimit = traces;
  }
}

const defaultReplacer: Replacer = (cls) => marker(cls);

/** Redacts the given classes (secrets first, then cards, IBANs, national ids, emails, phones). */
export function redact(text: string, classes: readonly RedactionClass[], replace: Replacer = defaultReplacer): Redaction {
  const wanted = new Set(classes);
  const counts: Redaction['counts'] = {};
  let out = text;
  const note = (cls: RedactionClass, result: { text: string; count: number }) => {
    out = result.text;
    if (result.count > 0) counts[cls] = (counts[cls] ?? 0) + result.count;
  };
  for (const cls of REDACTION_CLASSES) {
    if (!wanted.has(cls)) continue;
    switch (cls) {
      case 'secret':
        note(cls, replaceRanges(out, findSecrets(out), cls, replace));
        break;
      case 'card':
        note(cls, replacePattern(out, CARD, cls, (m) => !luhn(m.replace(/\D/g, '')), replace));
        break;
      case 'iban':
        note(cls, replacePattern(out, IBAN, cls, (m) => !isValidIBAN(electronicFormatIBAN(m) ?? ''), replace));
        break;
      case 'national_id':
        note(cls, replacePattern(out, SSN, cls, () => false, replace));
        note(cls, replacePattern(out, NINO, cls, () => false, replace));
        break;
      case 'email':
        note(cls, replaceRanges(out, emailRanges(out), cls, replace));
        break;
      case 'phone':
        note(cls, replaceRanges(out, phoneRanges(out), cls, replace));
        note(
          cls,
          replacePattern(
            out,
            PHONE,
            cls,
            (m) => {
              const digits = m.replace(/\D/g, '').length;
              return digits < 7 || digits > 15 || ISO_DATE.test(m);
            },
            replace,
          ),
        );
        break;
    }
  }
  return { text: out, counts };
}
