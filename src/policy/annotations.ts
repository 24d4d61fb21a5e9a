/**
 * The annotations Airlock reads on a policy (`@id`, `@reason`, `@check`, `@approval`,
 * `@credential_scope`, `@credential_ttl`) and the rules that refuse a bundle over them.
 * Other annotations are the author's own and are ignored.
 */
import type { PolicyCheck } from './types.ts';

export interface PolicyAnnotations {
  id?: string;
  check: PolicyCheck;
  approval?: string;
  reason?: string;
  credentialScope?: string;
  credentialTtlSeconds?: number;
}

const CHECKS: readonly string[] = ['action_class', 'parameters'];

/**
 * Reads the annotations of one policy. Returns the values and every problem found
 * (a policy with problems refuses the bundle).
 */
export function readAnnotations(
  annotations: Record<string, string | null> | undefined,
  effect: 'permit' | 'forbid',
): { values: PolicyAnnotations; problems: string[] } {
  const a = annotations ?? {};
  const problems: string[] = [];
  const values: PolicyAnnotations = { check: 'action_class' };
  const text = (name: string): string | undefined => {
    if (!Object.hasOwn(a, name)) return undefined;
    const value = a[name];
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`@${name} needs a non-empty value`);
      return undefined;
    }
    return value;
  };

  const id = text('id');
  if (!Object.hasOwn(a, 'id')) problems.push('policy has no @id annotation');
  else if (id !== undefined) {
    if (id.startsWith('builtin.')) problems.push(`@id "${id}" uses the reserved prefix builtin.`);
    else if (id !== id.trim()) problems.push(`@id "${id}" has leading or trailing spaces`);
    else values.id = id;
  }

  const reason = text('reason');
  if (reason !== undefined) values.reason = reason;

  const check = text('check');
  if (check !== undefined) {
    if (CHECKS.includes(check)) values.check = check as PolicyCheck;
    else problems.push(`@check must be "action_class" or "parameters", not "${check}"`);
  }

  const approval = text('approval');
  if (approval !== undefined) values.approval = approval;

  const scope = text('credential_scope');
  if (scope !== undefined) {
    if (effect === 'permit') values.credentialScope = scope;
    else problems.push('@credential_scope is only meaningful on a permit');
  }

  const ttl = text('credential_ttl');
  if (ttl !== undefined) {
    const seconds = /^[1-9][0-9]*$/.test(ttl) ? Number(ttl) : NaN;
    if (!Number.isSafeInteger(seconds)) problems.push(`@credential_ttl must be a positive whole number of seconds, not "${ttl}"`);
    else if (effect !== 'permit') problems.push('@credential_ttl is only meaningful on a permit');
    else values.credentialTtlSeconds = seconds;
  }
  return { values, problems };
}
