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
  /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/, // JWT / JWS compact (base64url of '{"')
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
 * Longest string scanned. Some patterns backtrack on adversarial input, so longer strings
 * are reported as possibly secret without scanning; callers only ask about short strings
 * (summary values of at most 64 characters, error excerpts of at most 200).
 */
export const MAX_SECRET_SCAN = 1024;

export function looksLikeSecret(value: string): boolean {
  if (value.length > MAX_SECRET_SCAN) return true;
  return SECRET_VALUE_PATTERNS.some((pattern) => pattern.test(value));
}
