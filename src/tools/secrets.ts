/**
 * Secret detection for safe summaries: key names that announce a secret and value shapes
 * of common credentials. Matching is deliberately broad (substring, unanchored): a false
 * positive costs a redacted audit field, a false negative leaks a credential.
 */

/** Key fragments, compared against the key lowercased with `-`, `_`, `.` and spaces removed. */
const SECRET_KEY_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'authorization',
  'credential',
  'privatekey',
  'cookie',
  'sessionkey',
  'accesskey',
  'signingkey',
];

const SECRET_VALUE_PATTERNS: RegExp[] = [
  /sk-[A-Za-z0-9_-]{8,}/, // OpenAI / Anthropic-style API keys
  /sk_(?:live|test)_[A-Za-z0-9]{8,}/, // Stripe secret keys
  /gh[pousr]_[A-Za-z0-9]{16,}/, // GitHub tokens
  /github_pat_[A-Za-z0-9_]{16,}/,
  /(?:AKIA|ASIA)[A-Z0-9]{16}/, // AWS access key ids
  /xox[abprs]-[A-Za-z0-9-]{8,}/, // Slack tokens
  /AIza[A-Za-z0-9_-]{30,}/, // Google API keys
  // JWT / JWS compact (base64url of '{"'): a run of token characters holding `eyJ`, then `.`, a
  // run, `.`. Tried only where a run starts, so `eyJeyJeyJ...` costs one scan, not one per `eyJ`.
  /(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]*eyJ)[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./,
  /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, // other JWT-shaped triples
  /-----BEGIN [A-Z0-9 ]*-----/i, // PEM blocks
  /\bbearer\s+[A-Za-z0-9._~+/-]{8,}/i,
  /\bbasic\s+[A-Za-z0-9+/]{8,}={0,2}/i,
  /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, // credentials in a URL
];

export function isSecretKey(key: string): boolean {
  const flat = key.toLowerCase().replace(/[-_.\s]/g, '');
  return SECRET_KEY_FRAGMENTS.some((fragment) => flat.includes(fragment));
}

/**
 * Longest string scanned as one value. Longer strings are reported as possibly secret without
 * scanning; callers ask about short strings (summary values of at most 64 characters, error
 * excerpts of at most 200). Text of any length is redacted word by word (redactSecretsInText).
 */
export const MAX_SECRET_SCAN = 1024;

export function looksLikeSecret(value: string): boolean {
  if (value.length > MAX_SECRET_SCAN) return true;
  return SECRET_VALUE_PATTERNS.some((pattern) => pattern.test(value));
}

/** Words that announce the credential after them (`Bearer <token>`, `Basic <credentials>`). */
const SCHEME_WORD = /^(?:bearer|basic)$/i;
const PEM_BEGIN = /-----BEGIN /gi;
const PEM_END = /-----END [A-Z0-9 ]{0,64}-----/gi;

/**
 * Free text with what looks like a credential replaced by `redacted`, the rest kept as
 * written: PEM blocks (from `-----BEGIN ` to their `-----END ...-----`, or to the end when
 * there is none), every whitespace-separated word that looks like a secret on its own
 * (looksLikeSecret: a word longer than MAX_SECRET_SCAN counts as one), and the word after
 * `Bearer` or `Basic`. Linear in the text's length, for text of any size.
 */
export function redactSecretsInText(text: string, redacted: string): string {
  let out = '';
  let at = 0;
  PEM_BEGIN.lastIndex = 0;
  for (let begin = PEM_BEGIN.exec(text); begin !== null; begin = PEM_BEGIN.exec(text)) {
    PEM_END.lastIndex = begin.index;
    const end = PEM_END.exec(text);
    const stop = end === null ? text.length : end.index + end[0].length;
    out += `${redactWords(text.slice(at, begin.index), redacted)}${redacted}`;
    at = stop;
    PEM_BEGIN.lastIndex = stop;
  }
  return out + redactWords(text.slice(at), redacted);
}

function redactWords(text: string, redacted: string): string {
  const parts = text.split(/(\s+)/);
  let afterScheme = false;
  for (let i = 0; i < parts.length; i += 2) {
    const word = parts[i] as string;
    if (word === '') continue;
    const secret = afterScheme || looksLikeSecret(word);
    afterScheme = SCHEME_WORD.test(word);
    if (secret) parts[i] = redacted;
  }
  return parts.join('');
}

/** Longest key of a JSON Pointer shown as it is (the limit of a summary's strings and keys). */
const MAX_POINTER_KEY = 64;

/**
 * A JSON Pointer into caller- or upstream-supplied JSON (a schema problem's location) safe for
 * the audit log: its keys are data too, so a key that looks like a credential becomes
 * `[redacted key]` and one longer than 64 characters `[long key]`, as in a safe summary.
 */
export function redactPointer(pointer: string): string {
  if (pointer === '') return pointer;
  return pointer
    .split('/')
    .map((token, i) => {
      if (i === 0) return token;
      const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
      if (key.length > MAX_POINTER_KEY) return '[long key]';
      return looksLikeSecret(key) ? '[redacted key]' : token;
    })
    .join('/');
}
