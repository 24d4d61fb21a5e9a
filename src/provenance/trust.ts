/**
 * Trust tiers and data classifications, both ordered. Tiers run from most to least
 * trusted (default `system > user > internal > external`); content from the tiers down to
 * and including the last *trusted* tier (default `user`) clears provenance, content from
 * any lower tier taints. Classifications run from least to most sensitive (default
 * `public < internal < confidential < restricted`).
 */
import { AirlockError } from '../core/errors.ts';

export const DEFAULT_TRUST_TIERS: readonly string[] = ['system', 'user', 'internal', 'external'];
export const DEFAULT_CLASSIFICATIONS: readonly string[] = ['public', 'internal', 'confidential', 'restricted'];
/** The tier of a user's own prompt. */
export const USER_TIER = 'user';

export interface TrustScaleOptions {
  /** Most trusted first. Must contain `user`. */
  tiers?: readonly string[];
  /** Tiers whose content is trusted: the top of `tiers`, down to and including `user` by default. */
  trustedTiers?: readonly string[];
  /** Least sensitive first. */
  classifications?: readonly string[];
}

export class TrustScale {
  readonly tiers: readonly string[];
  readonly classifications: readonly string[];
  readonly #tierRank: Map<string, number>;
  readonly #classRank: Map<string, number>;
  /** Tiers with a rank below this are trusted. */
  readonly #trustedBelow: number;

  constructor(options: TrustScaleOptions = {}) {
    this.tiers = [...(options.tiers ?? DEFAULT_TRUST_TIERS)];
    this.classifications = [...(options.classifications ?? DEFAULT_CLASSIFICATIONS)];
    this.#tierRank = new Map(this.tiers.map((t, i) => [t, i]));
    this.#classRank = new Map(this.classifications.map((c, i) => [c, i]));
    if (this.#tierRank.size !== this.tiers.length || this.#classRank.size !== this.classifications.length) {
      throw new AirlockError('ERR_PROVENANCE_SCALE', 'trust tiers and classifications must not repeat', { status: 500 });
    }
    if (!this.#tierRank.has(USER_TIER) || this.classifications.length === 0) {
      throw new AirlockError('ERR_PROVENANCE_SCALE', 'trust tiers must include `user` and classifications must not be empty', { status: 500 });
    }
    const trusted = options.trustedTiers ?? this.tiers.slice(0, (this.#tierRank.get(USER_TIER) as number) + 1);
    const prefix = this.tiers.slice(0, trusted.length);
    if (trusted.length === 0 || trusted.some((t, i) => prefix[i] !== t)) {
      throw new AirlockError('ERR_PROVENANCE_SCALE', 'trusted tiers must be the most trusted tiers, in order', { status: 500 });
    }
    this.#trustedBelow = trusted.length;
  }

  /** Most trusted tier (system prompts, trusted tool output, application-set attributes). */
  get highest(): string {
    return this.tiers[0] as string;
  }

  /** Least trusted tier (untrusted tool output, content of unknown origin). */
  get lowest(): string {
    return this.tiers[this.tiers.length - 1] as string;
  }

  hasTier(tier: string): boolean {
    return this.#tierRank.has(tier);
  }

  hasClassification(classification: string): boolean {
    return this.#classRank.has(classification);
  }

  /** Rank of a tier (0 = most trusted); throws for an unknown tier. */
  tierRank(tier: string): number {
    const rank = this.#tierRank.get(tier);
    if (rank === undefined) throw new AirlockError('ERR_PROVENANCE_TIER', `unknown trust tier ${tier}`, { status: 400, details: { tier } });
    return rank;
  }

  /** Rank of a classification (0 = least sensitive); throws for an unknown one. */
  classificationRank(classification: string): number {
    const rank = this.#classRank.get(classification);
    if (rank === undefined) {
      throw new AirlockError('ERR_PROVENANCE_CLASSIFICATION', `unknown classification ${classification}`, { status: 400, details: { classification } });
    }
    return rank;
  }

  isTrusted(tier: string): boolean {
    return this.tierRank(tier) < this.#trustedBelow;
  }

  tierAt(rank: number): string {
    return this.tiers[rank] ?? this.lowest;
  }

  classificationAt(rank: number): string {
    return this.classifications[rank] ?? (this.classifications[0] as string);
  }
}
