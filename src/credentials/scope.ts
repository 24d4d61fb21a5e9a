/** Scope strings: space-delimited scope tokens (RFC 6749 §3.3), checked as sets. */

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** The scope's tokens, or null when the string is not a well-formed, non-empty scope. */
export function parseScope(scope: unknown): string[] | null {
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > 1024) return null;
  const tokens = scope.split(' ');
  return tokens.every((t) => SCOPE_TOKEN.test(t)) ? tokens : null;
}

/** True when every token of `required` is granted by `granted`. */
export function scopeSatisfies(granted: readonly string[], required: readonly string[]): boolean {
  const set = new Set(granted);
  return required.every((t) => set.has(t));
}
