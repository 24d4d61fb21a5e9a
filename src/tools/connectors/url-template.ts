/**
 * URL templates for the HTTP connector: `https://host/base/{name}/x?q={q}`. Placeholders
 * may appear only after the authority (scheme, host and port are fixed by config), are
 * filled with `encodeURIComponent` of the argument, so `/`, `?`, `#` and `%` in a value
 * stay inside one path segment or query value. A value that would form a `.` / `..` path
 * segment (which URL parsers resolve, escaping the segment) or an empty path segment is
 * refused. Credentials in the template URL are refused at construction.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { AirlockError } from '../../core/errors.ts';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

export interface UrlTemplate {
  readonly template: string;
  /** Argument names used by the template. */
  readonly names: ReadonlySet<string>;
  expand(args: Record<string, JsonValue>): string;
}

function invalid(message: string): never {
  throw new AirlockError('ERR_TOOLS_CONNECTOR_INVALID', message, { status: 500 });
}

function argumentError(name: string, message: string): AirlockError {
  return new AirlockError('ERR_CONNECTOR_ARGUMENT', `url argument ${name} ${message}`, { status: 400, details: { argument: name } });
}

function pathSegments(url: string, authorityEnd: number): string[] {
  const rest = url.slice(authorityEnd);
  const end = rest.search(/[?#]/);
  return (end === -1 ? rest : rest.slice(0, end)).split('/');
}

export function parseUrlTemplate(template: string): UrlTemplate {
  const sample = template.replace(PLACEHOLDER, 'x');
  if (/[{}]/.test(sample)) invalid('connector url has a malformed placeholder');
  let parsed: URL;
  try {
    parsed = new URL(sample);
  } catch {
    invalid('connector url is not a valid url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') invalid('connector url must be http or https');
  if (parsed.username !== '' || parsed.password !== '') invalid('connector url must not carry credentials');
  const schemeEnd = template.indexOf('://') + 3;
  const tail = template.slice(schemeEnd).search(/[/?#]/);
  if (tail === -1) invalid('connector url needs a path');
  const authorityEnd = schemeEnd + tail;
  const firstPlaceholder = template.search(/\{/);
  if (firstPlaceholder !== -1 && firstPlaceholder < authorityEnd) invalid('connector url placeholders may not be in scheme, host or port');
  if (pathSegments(sample, authorityEnd).some((segment) => DOT_SEGMENT.test(segment))) invalid('connector url has dot segments');
  const queryStart = template.slice(authorityEnd).search(/[?#]/);
  const pathEnd = queryStart === -1 ? template.length : authorityEnd + queryStart;

  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1] as string);

  return {
    template,
    names,
    expand(args) {
      const url = template.replace(PLACEHOLDER, (_whole, name: string, offset: number) => {
        const value = Object.hasOwn(args, name) ? args[name] : undefined;
        let text: string;
        if (typeof value === 'string') text = value;
        else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
        else throw argumentError(name, value === undefined ? 'is missing' : 'must be a string, number or boolean');
        if (text === '' && offset < pathEnd) throw argumentError(name, 'must not be empty in a path');
        return encodeURIComponent(text);
      });
      if (pathSegments(url, authorityEnd).some((segment) => DOT_SEGMENT.test(segment))) {
        throw new AirlockError('ERR_CONNECTOR_ARGUMENT', 'url arguments must not form a . or .. path segment', { status: 400 });
      }
      return url;
    },
  };
}
