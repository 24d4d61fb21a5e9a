/**
 * The approvals domain's records and store interface: an approval request bound to one
 * exact action, the state transitions the workflow makes, and what a store must guarantee.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { ArgumentTaint, DecisionReason, TargetScopeSummary } from '../core/types.ts';

export interface ApprovalRequest {
  id: string;
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';
  action_hash: string;
  tool: string;
  tool_version: string;
  tenant: string;
  /**
   * `issuer` (optional) is the requester's token issuer; when recorded, the workflow checks it too.
   * `delegation` (optional) is the token's full delegation chain, outermost actor first; when
   * recorded, no actor of it may decide the request (an actor that steered the call is not its reviewer).
   */
  requester: { user: string; agent: string | null; issuer?: string; delegation?: string[] };
  required_role: string;
  policy_version: string;
  reasons: DecisionReason[];
  summary: string;
  /**
   * The exact action for the reviewer: the normalized arguments (values under secret-sounding
   * keys and credential-looking strings redacted) and the target resource. Absent in requests
   * made before it was recorded.
   */
  action?: { arguments: JsonValue; target: { type: string; id: string | null; tenant: string | null } | null };
  affected_count: number;
  args_hash: string;
  session_id: string | null;
  /**
   * Why the call was held: the context manifest, and each tainted argument with its sources,
   * its graded evidence and up to three snippets of the text around its value in those sources.
   */
  evidence?: {
    context_manifest_hash: string | null;
    tainted_arguments: Array<ArgumentTaint & { snippets?: Array<{ source: string; text: string; highlight?: { start: number; end: number } }> }>;
    /**
     * When the session declared a target scope: its size and kinds, the argument paths
     * outside it, and the declared targets themselves (`targets`, shown only to those who may
     * read the action). Absent for sessions without one and in requests made before it was recorded.
     */
    target_scope?: TargetScopeSummary & { targets?: Array<{ kind: string; value: string }> };
  };
  created_at: number;
  expires_at: number;
  /** Reviewer who approved or denied (set by the workflow). */
  decided_by?: { user: string; issuer: string; roles: string[] };
  decided_at?: number;
  justification?: string;
  /** `jti` of the approval token minted for an approved request. */
  token_jti?: string;
  consumed_at?: number;
  /** When the workflow found the request expired. */
  expired_at?: number;
}

/** Fields a state transition may set on a request (never its identity or binding). */
export type ApprovalPatch = Partial<
  Pick<ApprovalRequest, 'decided_by' | 'decided_at' | 'justification' | 'token_jti' | 'consumed_at' | 'expired_at'>
>;

/**
 * Optional capability of an approval store (both built-in adapters have it): the pending
 * backlog of every tenant in one aggregate read, for the metrics gauges.
 */
export interface ApprovalBacklog {
  /** Requests in state `pending` whose `expires_at` is after `now`, per tenant, with the oldest `created_at`. */
  pendingByTenant(now: number): Promise<Array<{ tenant: string; count: number; oldestCreatedAt: number }>>;
}

/**
 * Where approval requests live. Every method rejects (ERR_STATE_UNAVAILABLE /
 * ERR_STORE_UNAVAILABLE) when the store cannot answer, never answers as if a request were
 * missing or in another state.
 */
export interface ApprovalStore {
  /**
   * Stores a new request; resolves once it is durable (committed) in a durable adapter.
   * Rejects when the id exists or the write failed, and then nothing was stored.
   */
  create(request: ApprovalRequest): Promise<void>;
  /** The request as last committed, or null when no request has that id. */
  get(id: string): Promise<ApprovalRequest | null>;
  /** Requests of one tenant (optionally in one state), oldest first; one consistent read. */
  list(filter: { tenant: string; state?: ApprovalRequest['state'] }): Promise<ApprovalRequest[]>;
  /**
   * Compare-and-set: moves request `id` from state `from` to `to` and applies `patch`, only if
   * it is in `from` at that moment. Resolves true when this call made the change; false when the
   * request is missing or no longer in `from`. Atomic across callers and connections: of any
   * number of concurrent transitions out of the same state, at most one resolves true.
   */
  transition(
    id: string,
    from: ApprovalRequest['state'],
    to: ApprovalRequest['state'],
    patch?: ApprovalPatch,
  ): Promise<boolean>;
}
