/**
 * The context gateway's vocabulary: an assembly request, the decision on each chunk, the
 * context manifest, and the reason codes and rule ids of every admission rule.
 */

/** One chunk as a caller hands it in (unchecked: anything may be missing or mistyped). */
export interface ChunkInput {
  id?: unknown;
  text?: unknown;
  source_id?: unknown;
  owner?: unknown;
  classification?: unknown;
  /** ISO 8601 with a zone (`2026-01-05T10:00:00Z`) or epoch milliseconds. */
  timestamp?: unknown;
  /** Optional explicit claims, `{key: value}`: two chunks with one key and different values conflict. */
  claims?: unknown;
}

export interface AssembleRequest {
  session_id: string;
  use_case: string;
  chunks: unknown[];
  /** Overall character budget for this assembly (on top of the per-tier budgets). */
  budget?: number;
}

/** Reason codes (and the rule that gives them) of the context gateway. */
export const CONTEXT_RULES = {
  'context.missing_metadata': 'builtin.context.metadata',
  'context.metadata_invalid': 'builtin.context.metadata',
  'context.unknown_source': 'builtin.context.source_registry',
  'context.owner_mismatch': 'builtin.context.source_registry',
  'context.classification': 'builtin.context.classification',
  'context.use_case': 'builtin.context.use_case',
  'context.stale': 'builtin.context.max_age',
  'context.conflict': 'builtin.context.precedence',
  'context.over_budget': 'builtin.context.budget',
  'context.truncated': 'builtin.context.budget',
  'context.redacted': 'builtin.context.redaction',
  'context.injection_suspected': 'builtin.context.injection',
} as const;

export type ContextCode = keyof typeof CONTEXT_RULES;

export interface ChunkFlag {
  code: ContextCode;
  rule_id: string;
  detail: string;
}

/** One chunk's line in the manifest: metadata, hashes and the decision - never the text. */
export interface ChunkRecord {
  index: number;
  id: string | null;
  source_id: string | null;
  owner: string | null;
  /** The source's trust tier (null when the source is unknown). */
  trust_tier: string | null;
  classification: string | null;
  timestamp: string | null;
  /** `sha256:` of the text as received (null when there was no text). */
  hash: string | null;
  chars: number;
  decision: 'admitted' | 'rejected';
  /** Why it was rejected. */
  code?: ContextCode;
  rule_id?: string;
  reason?: string;
  /** For a conflict: the chunk that won. */
  conflict_with?: string;
  /** Admitted with changes or warnings: redacted, truncated, suspected injection. */
  flags: ChunkFlag[];
  /** `sha256:` and length of the text as admitted (after redaction and truncation). */
  admitted_hash?: string;
  admitted_chars?: number;
}

export interface ContextManifest {
  manifest_id: string;
  session_id: string;
  use_case: string;
  /** ISO 8601. */
  assembled_at: string;
  budget: number | null;
  chunks: ChunkRecord[];
  admitted: number;
  rejected: number;
  /** Admitted characters per trust tier. */
  chars_by_tier: Record<string, number>;
}

/** An admitted chunk, as the model will see it (for registration as session content). */
export interface AdmittedChunk {
  id: string;
  source_id: string;
  trust_tier: string;
  trusted: boolean;
  classification: string;
  text: string;
}

export interface Assembly {
  manifest: ContextManifest;
  /** `sha256:` of the manifest's canonical JSON. */
  manifest_hash: string;
  /** The assembled, spotlighted context. */
  context: string;
  admitted: AdmittedChunk[];
  /** Rejected chunks plus chunks flagged as suspected injection: what counts toward an abuse alert. */
  abuse_signals: number;
}
