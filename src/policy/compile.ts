/**
 * Turns a bundle source into compiled policies, or into the full list of diagnostics that
 * refuse it: every file must parse, every policy must carry a unique `@id` and valid
 * Airlock annotations, templates are not allowed, and the whole set must pass Cedar's
 * strict validation against the generated schema. Also computes the bundle version.
 */
import { canonicalHash } from '../core/canonical.ts';
import { nearestName } from '../core/nearest.ts';
import { readAnnotations } from './annotations.ts';
import { checkParsePolicySet, policySetTextToParts, policyToJson, validate } from './cedar.ts';
import type { DetailedError, EntityUidJson, PolicyJson } from './cedar.ts';
import { lineOfByteOffset, splitPolicies, withPermitEffect } from './cedar-text.ts';
import { ACTION_TYPE, NAMESPACE } from './schema.ts';
import type { CedarSchemaJson } from './schema.ts';
import type { ActionScope, CompiledPolicy, PolicyBundleSource, PolicyDiagnostic } from './types.ts';

export type CompileResult =
  | { ok: true; version: string; policies: CompiledPolicy[]; warnings: PolicyDiagnostic[] }
  | { ok: false; version: string; diagnostics: PolicyDiagnostic[] };

/** `sha256:` over the canonical JSON of `{file name: text}`; independent of key order. */
export function bundleVersion(bundle: PolicyBundleSource): string {
  return canonicalHash(bundle.files);
}

function messageOf(error: DetailedError): string {
  return error.help ? `${error.message} (${error.help})` : error.message;
}

function uidOf(entity: EntityUidJson): { type: string; id: string } {
  return '__entity' in entity ? entity.__entity : entity;
}

/** Action ids an action scope can match (only `Airlock::Action` entities can). */
export function actionScopeOf(json: PolicyJson): ActionScope {
  const action = json.action;
  if (action.op === 'All') return { kind: 'all' };
  const ids = (entities: EntityUidJson[]): string[] =>
    entities.map(uidOf).filter((uid) => uid.type === ACTION_TYPE).map((uid) => uid.id);
  if (action.op === '==') {
    const [id] = 'entity' in action ? ids([action.entity]) : [];
    return id === undefined ? { kind: 'in', ids: [] } : { kind: 'eq', id };
  }
  if ('entity' in action) return { kind: 'in', ids: ids([action.entity]) };
  return { kind: 'in', ids: ids(action.entities) };
}

/** Key prefix for policies validated without a usable @id (never a valid @id: ids are trimmed). */
const UNNAMED = ' unnamed:';

interface Located {
  file: string;
  text: string;
  byteOffset: number;
  fileText: string;
}

function compileFile(
  file: string,
  fileText: string,
  out: { policies: CompiledPolicy[]; diagnostics: PolicyDiagnostic[]; locations: Map<string, Located> },
): void {
  const parsed = checkParsePolicySet({ staticPolicies: fileText });
  if (parsed.type === 'failure') {
    for (const error of parsed.errors) {
      const at = error.sourceLocations?.[0]?.start;
      out.diagnostics.push({
        file,
        ...(at === undefined ? {} : { line: lineOfByteOffset(fileText, at) }),
        message: messageOf(error),
      });
    }
    return;
  }
  const chunks = splitPolicies(fileText);
  const parts = policySetTextToParts(fileText);
  const expected = parts.type === 'success' ? parts.policies.length + parts.policy_templates.length : -1;
  if (expected !== chunks.length) {
    out.diagnostics.push({ file, message: `could not locate the ${expected} policies of this file` });
    return;
  }
  for (const chunk of chunks) {
    const line = lineOfByteOffset(fileText, chunk.byteOffset);
    const json = policyToJson(chunk.text);
    if (json.type === 'failure') {
      for (const error of json.errors) out.diagnostics.push({ file, line, message: messageOf(error) });
      continue;
    }
    const effect = json.json.effect;
    const { values, problems } = readAnnotations(json.json.annotations, effect);
    const policyId = values.id;
    const where: Located = { file, text: chunk.text, byteOffset: chunk.byteOffset, fileText };
    for (const problem of problems) {
      out.diagnostics.push({ file, line, ...(policyId === undefined ? {} : { policy_id: policyId }), message: problem });
    }
    // Policies refused for other reasons are still validated, so one load reports every problem.
    if (policyId === undefined) {
      out.locations.set(`${UNNAMED}${out.locations.size}`, where);
      continue;
    }
    const previous = out.locations.get(policyId);
    if (previous !== undefined) {
      out.diagnostics.push({
        file,
        line,
        policy_id: policyId,
        message: `duplicate @id "${policyId}" (first used in ${previous.file} line ${lineOfByteOffset(previous.fileText, previous.byteOffset)})`,
      });
      out.locations.set(`${UNNAMED}${out.locations.size}`, where);
      continue;
    }
    out.locations.set(policyId, where);
    const permitText = withPermitEffect(chunk.text);
    const permitJson = permitText === null ? null : policyToJson(permitText);
    if (permitText === null || permitJson?.type !== 'success' || permitJson.json.effect !== 'permit') {
      out.diagnostics.push({ file, line, policy_id: policyId, message: 'could not locate the effect of this policy' });
      continue;
    }
    if (problems.length > 0) continue;
    const policy: CompiledPolicy = {
      id: policyId,
      index: out.policies.length,
      file,
      line,
      effect,
      text: chunk.text,
      permitText,
      byteOffset: chunk.byteOffset,
      json: json.json,
      scope: actionScopeOf(json.json),
      check: values.check,
    };
    if (values.approval !== undefined) policy.approval = values.approval;
    if (values.reason !== undefined) policy.reason = values.reason;
    if (values.credentialScope !== undefined) policy.credentialScope = values.credentialScope;
    if (values.credentialTtlSeconds !== undefined) policy.credentialTtlSeconds = values.credentialTtlSeconds;
    out.policies.push(policy);
  }
}

/** The action id of Cedar's "unrecognized action" error, or undefined for any other error. */
const UNRECOGNIZED_ACTION = /unrecognized action `(?:[A-Za-z_][A-Za-z0-9_]*::)*Action::"((?:[^"\\]|\\.)*)"`/;

/**
 * The message of a validation error. For an unknown action, Cedar's own hint (the nearest
 * action by its own measure, often a side-effect class such as `none`) is replaced with the
 * registered tool whose name is nearest by edit distance, or with a note that none is close.
 */
function validationMessage(error: DetailedError, toolNames: readonly string[]): string {
  const unknown = UNRECOGNIZED_ACTION.exec(error.message)?.[1];
  if (unknown === undefined) return messageOf(error);
  const nearest = nearestName(unknown, toolNames);
  const hint = nearest === undefined ? 'no registered tool has a similar name' : `did you mean the tool \`${nearest}\`?`;
  return `${error.message} (${hint})`;
}

function located(
  locations: Map<string, Located>,
  policyId: string,
  error: DetailedError,
  toolNames: readonly string[] = [],
): PolicyDiagnostic {
  const message = validationMessage(error, toolNames);
  const where = locations.get(policyId);
  if (where === undefined) return { file: '<schema>', policy_id: policyId, message };
  const at = error.sourceLocations?.[0]?.start ?? 0;
  const line = lineOfByteOffset(where.fileText, where.byteOffset + at);
  if (policyId.startsWith(UNNAMED)) {
    return { file: where.file, line, message: message.replace(/^for policy `[^`]*`, /, '') };
  }
  return { file: where.file, line, policy_id: policyId, message };
}

function unique(diagnostics: PolicyDiagnostic[]): PolicyDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = JSON.stringify([d.file, d.line, d.policy_id, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Parses, checks and strictly validates a bundle against `schema`. Never throws for bad input. */
export function compileBundle(bundle: PolicyBundleSource, schema: CedarSchemaJson): CompileResult {
  const version = bundleVersion(bundle);
  const out = { policies: [] as CompiledPolicy[], diagnostics: [] as PolicyDiagnostic[], locations: new Map<string, Located>() };
  for (const file of Object.keys(bundle.files).sort()) {
    const text = bundle.files[file];
    if (typeof text !== 'string') {
      out.diagnostics.push({ file, message: 'file content is not text' });
      continue;
    }
    compileFile(file, text, out);
  }
  const staticPolicies: Record<string, string> = {};
  for (const [key, where] of out.locations) staticPolicies[key] = where.text;
  const answer = validate({ schema, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') {
    out.diagnostics.push(...answer.errors.map((e) => ({ file: '<schema>', message: messageOf(e) })));
    return { ok: false, version, diagnostics: unique(out.diagnostics) };
  }
  // Tool actions are the schema's actions that belong to a side-effect class.
  const toolNames = Object.entries(schema[NAMESPACE]?.actions ?? {})
    .filter(([, action]) => (action.memberOf?.length ?? 0) > 0)
    .map(([name]) => name);
  out.diagnostics.push(...answer.validationErrors.map((e) => located(out.locations, e.policyId, e.error, toolNames)));
  if (out.diagnostics.length > 0) return { ok: false, version, diagnostics: unique(out.diagnostics) };
  const warnings = answer.validationWarnings.map((w) => located(out.locations, w.policyId, w.error));
  for (const w of answer.otherWarnings) warnings.push({ file: '<schema>', message: messageOf(w) });
  return { ok: true, version, policies: out.policies, warnings };
}
