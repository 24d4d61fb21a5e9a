/**
 * The context gateway's admission rules, applied to each chunk of one assembly in this
 * order (the first that fails rejects the chunk, with its reason code and rule id):
 *
 * 1. metadata: `id`, `text`, `source_id`, `owner`, `classification`, `timestamp` present and
 *    well-formed, `id` unique, timestamp not in the future (fail closed);
 * 2. source registry: the source is registered (default deny) and the chunk's owner is the
 *    source's owner;
 * 3. classification: known, and no higher than the source's;
 * 4. use case: the source is allowlisted for the request's use case;
 * 5. max age: not older than the source's `max_age_seconds`;
 * 6. precedence: chunks that make the same explicit claim (`claims: {key: value}`) with a
 *    different value conflict; the chunk from the more trusted tier wins (same tier: the
 *    newer one; same time: the first given) and the others are rejected;
 * 7. redaction of the source's data classes (flag), injection heuristics (flag);
 * 8. budget: in precedence order (tier, then the order given), each tier's character budget
 *    and the request's overall budget; a chunk that does not fit is truncated to what is
 *    left (flag), or rejected when nothing is left.
 * Admitted chunks are assembled in precedence order and spotlighted (spotlight.ts).
 */
import { canonicalHash, sha256Hex } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { ContextConfig, ContextSourceConfig } from '../config/types.ts';
import { injectionSignals } from './injection.ts';
import { redact } from './redact.ts';
import { assembleText, newNonce } from './spotlight.ts';
import type { AdmittedChunk, AssembleRequest, Assembly, ChunkFlag, ChunkRecord, ContextCode, ContextManifest } from './types.ts';
import { CONTEXT_RULES } from './types.ts';

/** How far in the future a chunk's timestamp may be (clock skew). */
const FUTURE_SKEW_MS = 5 * 60 * 1000;
const MAX_ID = 200;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

interface Candidate {
  record: ChunkRecord;
  id: string;
  source: ContextSourceConfig;
  tierRank: number;
  at: number;
  classification: string;
  text: string;
  claims: Map<string, string>;
}

const hashText = (text: string) => `sha256:${sha256Hex(text)}`;
const flag = (code: ContextCode, detail: string): ChunkFlag => ({ code, rule_id: CONTEXT_RULES[code], detail });

function reject(record: ChunkRecord, code: ContextCode, reason: string): void {
  record.decision = 'rejected';
  record.code = code;
  record.rule_id = CONTEXT_RULES[code];
  record.reason = reason;
}

const nonEmpty = (v: unknown, max = MAX_ID): v is string => typeof v === 'string' && v.length > 0 && v.length <= max && v.isWellFormed();

function timestampOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value !== 'string' || !ISO.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** A claim's key or value as compared: trimmed, whitespace collapsed, lowercase. */
const claimText = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

function claimsOf(value: unknown): Map<string, string> | null {
  const out = new Map<string, string>();
  if (value === undefined) return out;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  for (const [key, v] of Object.entries(value)) {
    if (!nonEmpty(key) || !(typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return null;
    out.set(claimText(key), claimText(String(v)));
  }
  return out;
}

/** Cuts `text` to at most `chars` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, chars: number): string {
  let end = Math.min(text.length, chars);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end);
}

export class ContextAssembler {
  readonly #config: ContextConfig;
  readonly #clock: Clock;
  readonly #sources: Map<string, ContextSourceConfig>;
  readonly #tierRank: Map<string, number>;
  readonly #classRank: Map<string, number>;
  readonly #trusted: Set<string>;

  constructor(config: ContextConfig, clock: Clock) {
    this.#config = config;
    this.#clock = clock;
    this.#sources = new Map(config.sources.map((s) => [s.id, s]));
    this.#tierRank = new Map(config.trustTiers.map((t, i) => [t, i]));
    this.#classRank = new Map(config.classifications.map((c, i) => [c, i]));
    const userRank = this.#tierRank.get('user') ?? 0;
    this.#trusted = new Set(config.trustedTiers ?? config.trustTiers.slice(0, userRank + 1));
  }

  isTrustedTier(tier: string): boolean {
    return this.#trusted.has(tier);
  }

  source(id: string): ContextSourceConfig | undefined {
    return this.#sources.get(id);
  }

  assemble(request: AssembleRequest): Assembly {
    const now = this.#clock.now();
    const seen = new Set<string>();
    const candidates: Candidate[] = [];
    const records = request.chunks.map((raw, index) => {
      const record = this.#record(raw, index);
      const candidate = this.#admit(raw, record, request.use_case, now, seen);
      if (candidate !== null) candidates.push(candidate);
      return record;
    });
    const live = this.#resolveConflicts(candidates);
    const admitted = this.#budget(live.map((c) => this.#transform(c)), request.budget);

    const charsByTier: Record<string, number> = {};
    for (const chunk of admitted) charsByTier[chunk.trust_tier] = (charsByTier[chunk.trust_tier] ?? 0) + chunk.text.length;
    const manifest: ContextManifest = {
      manifest_id: newId('ctx'),
      session_id: request.session_id,
      use_case: request.use_case,
      assembled_at: new Date(now).toISOString(),
      budget: request.budget ?? null,
      chunks: records,
      admitted: records.filter((r) => r.decision === 'admitted').length,
      rejected: records.filter((r) => r.decision === 'rejected').length,
      chars_by_tier: charsByTier,
    };
    const injections = records.filter((r) => r.decision === 'admitted' && r.flags.some((f) => f.code === 'context.injection_suspected')).length;
    return {
      manifest,
      manifest_hash: canonicalHash(manifest),
      context: assembleText(admitted, newNonce()),
      admitted,
      abuse_signals: manifest.rejected + injections,
    };
  }

  /** The manifest line of a chunk, from whatever metadata it carries. */
  #record(raw: unknown, index: number): ChunkRecord {
    const chunk = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const text = typeof chunk.text === 'string' ? chunk.text : null;
    const sourceId = nonEmpty(chunk.source_id) ? chunk.source_id : null;
    const source = sourceId === null ? undefined : this.#sources.get(sourceId);
    return {
      index,
      id: nonEmpty(chunk.id) ? chunk.id : null,
      source_id: sourceId,
      owner: nonEmpty(chunk.owner) ? chunk.owner : null,
      trust_tier: source?.trustTier ?? null,
      classification: nonEmpty(chunk.classification) ? chunk.classification : null,
      timestamp: typeof chunk.timestamp === 'string' && chunk.timestamp.length <= 64 ? chunk.timestamp : typeof chunk.timestamp === 'number' ? String(chunk.timestamp) : null,
      hash: text === null ? null : hashText(text),
      chars: text?.length ?? 0,
      decision: 'admitted',
      flags: [],
    };
  }

  /** Rules 1-5; returns the candidate, or null when the chunk was rejected. */
  #admit(raw: unknown, record: ChunkRecord, useCase: string, now: number, seen: Set<string>): Candidate | null {
    const chunk = (raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
    const missing = ['id', 'text', 'source_id', 'owner', 'classification', 'timestamp'].filter((key) =>
      key === 'text' ? typeof chunk.text !== 'string' : key === 'timestamp' ? chunk.timestamp === undefined || chunk.timestamp === null || chunk.timestamp === '' : !nonEmpty(chunk[key]),
    );
    if (missing.length > 0) {
      reject(record, 'context.missing_metadata', `missing or malformed: ${missing.join(', ')}`);
      return null;
    }
    const id = chunk.id as string;
    if (seen.has(id)) {
      reject(record, 'context.metadata_invalid', 'duplicate chunk id');
      return null;
    }
    seen.add(id);
    const at = timestampOf(chunk.timestamp);
    if (at === null) {
      reject(record, 'context.metadata_invalid', 'timestamp must be ISO 8601 with a zone, or epoch milliseconds');
      return null;
    }
    if (at > now + FUTURE_SKEW_MS) {
      reject(record, 'context.metadata_invalid', 'timestamp is in the future');
      return null;
    }
    const claims = claimsOf(chunk.claims);
    if (claims === null) {
      reject(record, 'context.metadata_invalid', 'claims must map keys to strings, numbers or booleans');
      return null;
    }
    const source = this.#sources.get(chunk.source_id as string);
    if (source === undefined) {
      reject(record, 'context.unknown_source', 'the source is not registered (default deny)');
      return null;
    }
    if (chunk.owner !== source.owner) {
      reject(record, 'context.owner_mismatch', "the chunk's owner is not the source's owner");
      return null;
    }
    const classification = chunk.classification as string;
    const classRank = this.#classRank.get(classification);
    if (classRank === undefined) {
      reject(record, 'context.metadata_invalid', 'unknown classification');
      return null;
    }
    if (classRank > (this.#classRank.get(source.classification) ?? -1)) {
      reject(record, 'context.classification', `classification ${classification} is above what source ${source.id} may carry (${source.classification})`);
      return null;
    }
    if (!source.useCases.includes(useCase) && !source.useCases.includes('*')) {
      reject(record, 'context.use_case', `source ${source.id} is not allowlisted for use case ${useCase}`);
      return null;
    }
    if (now - at > source.maxAgeSeconds * 1000) {
      reject(record, 'context.stale', `older than the source's maximum age (${source.maxAgeSeconds} s)`);
      return null;
    }
    return { record, id, source, tierRank: this.#tierRank.get(source.trustTier) ?? Number.MAX_SAFE_INTEGER, at, classification, text: chunk.text as string, claims };
  }

  /** Rule 6: for each claimed key, the most trusted (then newest, then first) value wins. */
  #resolveConflicts(candidates: Candidate[]): Candidate[] {
    const out = new Set(candidates);
    const keys = [...new Set(candidates.flatMap((c) => [...c.claims.keys()]))].sort();
    for (const key of keys) {
      const holders = [...out].filter((c) => c.claims.has(key));
      if (new Set(holders.map((c) => c.claims.get(key))).size < 2) continue;
      const winner = [...holders].sort((a, b) => a.tierRank - b.tierRank || b.at - a.at || a.record.index - b.record.index)[0] as Candidate;
      const value = winner.claims.get(key);
      for (const loser of holders) {
        if (loser.claims.get(key) === value) continue;
        reject(
          loser.record,
          'context.conflict',
          `claim ${key} conflicts with chunk ${winner.id} (${winner.source.trustTier} tier${loser.tierRank === winner.tierRank ? ', newer or given first' : ', takes precedence'})`,
        );
        loser.record.conflict_with = winner.id;
        out.delete(loser);
      }
    }
    return candidates.filter((c) => out.has(c));
  }

  /** Rule 7: redaction and injection flags. */
  #transform(c: Candidate): Candidate {
    let text = c.text;
    if (c.source.redact.length > 0) {
      const redaction = redact(text, c.source.redact);
      text = redaction.text;
      const counts = Object.entries(redaction.counts).map(([cls, n]) => `${cls} x${n}`);
      if (counts.length > 0) c.record.flags.push(flag('context.redacted', counts.join(', ')));
    }
    const signals = injectionSignals(text);
    if (signals.length > 0) c.record.flags.push(flag('context.injection_suspected', signals.map((s) => s.id).join(', ')));
    return { ...c, text };
  }

  /** Rule 8, then the admitted chunks in precedence order. */
  #budget(candidates: Candidate[], overall: number | undefined): AdmittedChunk[] {
    const ordered = [...candidates].sort((a, b) => a.tierRank - b.tierRank || a.record.index - b.record.index);
    const used = new Map<string, number>();
    let total = 0;
    const admitted: AdmittedChunk[] = [];
    for (const c of ordered) {
      const tier = c.source.trustTier;
      const tierBudget = this.#config.budgets[tier];
      const left = Math.min(
        tierBudget === undefined ? Number.POSITIVE_INFINITY : tierBudget - (used.get(tier) ?? 0),
        overall === undefined ? Number.POSITIVE_INFINITY : overall - total,
      );
      let text = c.text;
      if (text.length > left) {
        if (left <= 0) {
          reject(c.record, 'context.over_budget', `no budget left for tier ${tier}${overall === undefined ? '' : ' or the request'}`);
          continue;
        }
        text = cut(text, left);
        c.record.flags.push(flag('context.truncated', `cut from ${c.text.length} to ${text.length} characters`));
      }
      used.set(tier, (used.get(tier) ?? 0) + text.length);
      total += text.length;
      c.record.admitted_hash = hashText(text);
      c.record.admitted_chars = text.length;
      admitted.push({ id: c.id, source_id: c.source.id, trust_tier: tier, trusted: this.isTrustedTier(tier), classification: c.classification, text });
    }
    return admitted;
  }
}
