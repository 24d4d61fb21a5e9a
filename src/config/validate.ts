/**
 * Structural validation of the raw (snake_case) config with ajv 2020-12, and translation of
 * ajv's errors into config issues: one per problem, phrased for a person editing YAML,
 * each located at a line and column.
 */
import { nearestName } from '../core/nearest.ts';
import type { ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ConfigIssue } from './errors.ts';
import { formatPath, type PathSegment, type SourceLocator, type LocateTarget } from './locate.ts';
import { configSchema } from './schema.ts';

// strictRequired is off only because `then` branches require keys declared one level up.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true, allowUnionTypes: true });
ajv.addVocabulary(['x-message']);
const validateSchema = ajv.compile(configSchema);

/** JSON pointer -> path segments, with array indices as numbers (decided by the data). */
function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let current: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current) && /^\d+$/.test(key)) {
      const index = Number(key);
      out.push(index);
      current = current[index];
    } else {
      out.push(key);
      current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** Closest known key for a typo, when one is close enough to be a useful hint. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  return nearestName(unknown, known);
}

function customMessage(error: ErrorObject): string | undefined {
  const parent: unknown = error.parentSchema;
  if (parent !== null && typeof parent === 'object') {
    const message = (parent as Record<string, unknown>)['x-message'];
    if (typeof message === 'string') return message;
  }
  return undefined;
}

function typeMessage(type: unknown): string {
  const names = String(type)
    .split(',')
    .map((t) => (t === 'null' ? 'null' : `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`));
  return `must be ${names.join(' or ')}`;
}

function describe(error: ErrorObject): { suffix?: PathSegment; target: LocateTarget; message: string } | null {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'if':
    case 'propertyNames':
      return null;
    case 'required':
      return { suffix: String(params.missingProperty), target: 'parent', message: 'is required' };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const parent = error.parentSchema as { properties?: Record<string, unknown> } | undefined;
      const hint = suggestKey(key, Object.keys(parent?.properties ?? {}));
      return { suffix: key, target: 'key', message: hint === undefined ? 'unknown key' : `unknown key (did you mean ${hint}?)` };
    }
    case 'not':
      return { target: 'key', message: customMessage(error) ?? 'is not allowed here' };
    case 'enum':
      return { target: 'value', message: `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    case 'const':
      return { target: 'value', message: customMessage(error) ?? `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type':
      return { target: 'value', message: typeMessage(params.type) };
    case 'pattern':
      return { target: 'value', message: customMessage(error) ?? `must match ${String(params.pattern)}` };
    case 'minItems':
    case 'minLength':
      return { target: 'value', message: params.limit === 1 ? 'must not be empty' : (error.message ?? 'is too short') };
    case 'uniqueItems': {
      const i = Number(params.i);
      const j = Number(params.j);
      return {
        suffix: Math.max(i, j),
        target: 'value',
        message: `repeats item ${Math.min(i, j)} (items must be unique)`,
      };
    }
    default:
      return { target: 'value', message: error.message ?? 'is invalid' };
  }
}

/** Validates the raw document against the config schema. Empty array when it conforms. */
export function schemaIssues(data: unknown, locator: SourceLocator): ConfigIssue[] {
  if (validateSchema(data)) return [];
  const issues: ConfigIssue[] = [];
  for (const error of validateSchema.errors ?? []) {
    const described = describe(error);
    if (described === null) continue;
    const base = pointerToPath(error.instancePath, data);
    // propertyNames errors name the offending key.
    const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
    if (propertyName !== undefined) {
      const path = [...base, propertyName];
      issues.push({ path: formatPath(path), ...locator.locate(path, 'key'), message: described.message });
      continue;
    }
    const path = described.suffix === undefined ? base : [...base, described.suffix];
    issues.push({ path: formatPath(path), ...locator.locate(path, described.target), message: described.message });
  }
  return issues;
}
