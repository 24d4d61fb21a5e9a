/**
 * Types of the policy module: bundle sources, load diagnostics and the compiled form of
 * one policy (its id, where it came from, its action scope and the annotations Airlock reads).
 */
import type { PolicyJson } from './cedar.ts';

/** A policy bundle as text: relative file path (posix separators) -> Cedar source. */
export interface PolicyBundleSource {
  files: Record<string, string>;
}

/** One problem found while loading a bundle. `file` is `<schema>` for schema-wide problems. */
export interface PolicyDiagnostic {
  file: string;
  line?: number;
  policy_id?: string;
  message: string;
}

export type SessionAttributeType = 'String' | 'Long' | 'Bool';

export type PolicyCheck = 'action_class' | 'parameters';

/** Which actions a policy's scope can match: every action, or the listed action ids. */
export type ActionScope = { kind: 'all' } | { kind: 'eq'; id: string } | { kind: 'in'; ids: string[] };

export interface CompiledPolicy {
  /** The `@id` annotation; also the policy id handed to Cedar. */
  id: string;
  /** Position in the bundle (file-name order, then file order). Earlier wins ties. */
  index: number;
  file: string;
  line: number;
  effect: 'permit' | 'forbid';
  /** Cedar text of the policy statement. */
  text: string;
  /** UTF-8 byte offset of `text` in its file (for mapping validator locations to lines). */
  byteOffset: number;
  /** The same statement with its effect made `permit` (what slices are built from). */
  permitText: string;
  /** Cedar's JSON form of the policy (for analysis only: Long literals may be rounded). */
  json: PolicyJson;
  scope: ActionScope;
  check: PolicyCheck;
  approval?: string;
  reason?: string;
  credentialScope?: string;
  credentialTtlSeconds?: number;
}

/** What `policies()` reports about each active policy. */
export interface PolicySummary {
  id: string;
  file: string;
  line: number;
  effect: 'permit' | 'forbid';
  check: PolicyCheck;
  approval?: string;
  reason?: string;
}
