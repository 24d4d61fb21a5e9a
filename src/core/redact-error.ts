/**
 * Known secret values out of error text before an error leaves the process (a log line, an
 * operator status). A logger serializes an error with its message, its stack, its own
 * properties (an AirlockError's `details`) and every `cause` below it; a third party's error
 * (an HTTP client's, an SDK's) may quote what the other side answered, and that answer may
 * echo the credential it was sent. `redactError` returns a copy whose texts have every
 * occurrence of every value (and of its URL-encoded form) replaced by a marker, all the way
 * down the cause chain; the original error is left as it is.
 */
import { AirlockError } from './errors.ts';

/** Replaces every occurrence of the given secret values (longest first, URL-encoded forms too) in text. */
export function secretScrubber(values: Iterable<string>, marker: string): (text: string) => string {
  const needles = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string' || value === '') continue;
    needles.add(value);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) needles.add(encoded);
  }
  const sorted = [...needles].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of sorted) if (out.includes(needle)) out = out.split(needle).join(marker);
    return out;
  };
}

const MAX_DEPTH = 8;

function redactJson(value: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return redactErrorAt(value, scrub, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, scrub, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [scrub(key), redactJson(item, scrub, depth + 1)]));
}

function redactErrorAt(error: unknown, scrub: (text: string) => string, depth: number): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrub(error) : error;
  const cause = depth >= MAX_DEPTH || error.cause === undefined ? undefined : redactErrorAt(error.cause, scrub, depth + 1);
  let copy: Error;
  if (error instanceof AirlockError) {
    const details = error.details === undefined ? undefined : (redactJson(error.details, scrub, depth) as Record<string, unknown>);
    copy = new AirlockError(error.code, scrub(error.message), {
      status: error.status,
      ...(details === undefined ? {} : { details }),
      ...(cause === undefined ? {} : { cause }),
    });
  } else {
    copy = new Error(scrub(error.message), cause === undefined ? undefined : { cause });
    // Own scalar properties a log would show (code, status, errno), scrubbed when text.
    for (const [key, value] of Object.entries(error)) {
      if (key === 'cause' || key === 'message' || key === 'stack') continue;
      if (typeof value === 'string') (copy as unknown as Record<string, unknown>)[key] = scrub(value);
      else if (typeof value === 'number' || typeof value === 'boolean') (copy as unknown as Record<string, unknown>)[key] = value;
    }
  }
  copy.name = error.name;
  if (typeof error.stack === 'string') copy.stack = scrub(error.stack);
  return copy;
}

/** A copy of `error` (any thrown value) with `scrub` applied to its message, stack, details and causes. */
export function redactError(error: unknown, scrub: (text: string) => string): unknown {
  return redactErrorAt(error, scrub, 0);
}
