/**
 * The approval workflow over an ApprovalStore: reviewers list, read and decide requests of
 * their own tenant; the requester fetches the one-time approval token of an approved request;
 * the pipeline consumes it once for the exact action it covers, presented by the principal
 * that asked (same user, issuer and acting agent) in the session it asked in. Every state change is
 * described to `onEvent` (awaited: when it rejects, the caller sees the error, so nothing
 * proceeds on an unrecorded change). Atomicity comes from the store's compare-and-set.
 */
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { isWellFormedId, newId } from '../core/ids.ts';
import type { Principal } from '../core/types.ts';
import type { ApprovalPatch, ApprovalRequest, ApprovalStore } from './types.ts';
import { approvalError, type ApprovalErrorCode } from './errors.ts';
import type { ApprovalEvent, ApprovalEventSink, ApprovalEventType } from './events.ts';
import { operatorOf } from './events.ts';
import { mintApprovalToken, verifyApprovalToken } from './token.ts';

export const DEFAULT_MAX_JUSTIFICATION_LENGTH = 2000;
const MIN_KEY_BYTES = 32;

export interface ApprovalServiceOptions {
  store: ApprovalStore;
  clock: Clock;
  /** HS256 key for approval tokens, at least 32 bytes. */
  signingKey: Uint8Array;
  onEvent?: ApprovalEventSink;
  maxJustificationLength?: number;
}

export interface ConsumeInput {
  /** Action hash of the call now presenting the token (computed by the pipeline). */
  actionHash: string;
  principal: Principal;
  /**
   * The session the presenting call is made in (null: none). It must be the session the
   * approval was requested in (its `session_id`): an approval asked for in one session (whose
   * context the reviewer judged, and which may since have been stopped) is not usable from
   * another. Required, so that a caller cannot skip the check by leaving it out.
   */
  session: string | null;
}

type State = ApprovalRequest['state'];

export class ApprovalService {
  readonly #store: ApprovalStore;
  readonly #clock: Clock;
  readonly #key: Uint8Array;
  readonly #onEvent: ApprovalEventSink | undefined;
  readonly #maxJustification: number;

  constructor(options: ApprovalServiceOptions) {
    if (!(options.signingKey instanceof Uint8Array) || options.signingKey.byteLength < MIN_KEY_BYTES) {
      throw new AirlockError('ERR_APPROVAL_KEY_INVALID', `approval signing key must have at least ${MIN_KEY_BYTES} bytes`);
    }
    this.#store = options.store;
    this.#clock = options.clock;
    this.#key = options.signingKey;
    this.#onEvent = options.onEvent;
    this.#maxJustification = options.maxJustificationLength ?? DEFAULT_MAX_JUSTIFICATION_LENGTH;
  }

  /** Requests of the reviewer's tenant, oldest first; requests found past expiry are marked expired. */
  async list(reviewer: Principal, state?: State): Promise<ApprovalRequest[]> {
    const found = await this.#store.list(state === undefined ? { tenant: reviewer.tenant } : { tenant: reviewer.tenant, state });
    const settled: ApprovalRequest[] = [];
    for (const request of found) settled.push(await this.#settleExpiry(request, reviewer));
    return state === undefined ? settled : settled.filter((r) => r.state === state);
  }

  /** One request of the caller's tenant; any other tenant's request is not found. */
  async get(principal: Principal, id: string): Promise<ApprovalRequest> {
    return this.#settleExpiry(await this.#load(principal, id), principal);
  }

  approve(reviewer: Principal, id: string, justification: string): Promise<ApprovalRequest> {
    return this.#decide(reviewer, id, justification, 'approved');
  }

  deny(reviewer: Principal, id: string, justification: string): Promise<ApprovalRequest> {
    return this.#decide(reviewer, id, justification, 'denied');
  }

  /** The approval token of an approved request, for the requesting principal only. */
  async fetchToken(requester: Principal, id: string): Promise<string> {
    const request = await this.#load(requester, id);
    if (!isRequester(requester, request)) throw approvalError('ERR_APPROVAL_NOT_REQUESTER');
    const current = await this.#settleExpiry(request, requester);
    if (current.state !== 'approved') throw stateError(current.state);
    return mintApprovalToken(current, this.#key);
  }

  /**
   * Verifies the token and consumes its approval for exactly this action and principal.
   * Of any number of concurrent consumers, exactly one succeeds; the others get
   * ERR_APPROVAL_CONSUMED and an `approval.replay_attempted` event is described.
   */
  async consume(token: string, input: ConsumeInput): Promise<ApprovalRequest> {
    const { principal, actionHash } = input;
    let claims;
    try {
      claims = await verifyApprovalToken(token, this.#key, this.#clock.now());
    } catch (error) {
      const id = error instanceof AirlockError ? error.details?.['approval_id'] : undefined;
      if (typeof id === 'string') {
        const request = await this.#store.get(id);
        if (request !== null && request.tenant === principal.tenant) await this.#settleExpiry(request, principal);
      }
      throw error;
    }
    if (claims.tenant !== principal.tenant || claims.sub !== principal.user) throw approvalError('ERR_APPROVAL_NOT_REQUESTER');
    if (claims.ah !== actionHash) throw approvalError('ERR_APPROVAL_MISMATCH', { approval_id: claims.apr });
    const request = await this.#store.get(claims.apr);
    if (request === null || request.tenant !== claims.tenant) throw approvalError('ERR_APPROVAL_NOT_FOUND');
    if (!isRequester(principal, request)) throw approvalError('ERR_APPROVAL_NOT_REQUESTER');
    // The reviewer approved this agent acting for the user: another agent of the user (or the user alone) is not the requester.
    if ((principal.agent ?? null) !== request.requester.agent) throw approvalError('ERR_APPROVAL_NOT_REQUESTER');
    if (input.session !== request.session_id) {
      throw approvalError('ERR_APPROVAL_MISMATCH', { approval_id: request.id });
    }
    if (request.token_jti !== claims.jti || request.action_hash !== claims.ah) throw approvalError('ERR_APPROVAL_TOKEN_INVALID');

    const current = await this.#settleExpiry(request, principal);
    if (current.state === 'approved') {
      const now = this.#clock.now();
      const patch: ApprovalPatch = { consumed_at: now };
      if (await this.#store.transition(current.id, 'approved', 'consumed', patch)) {
        const consumed: ApprovalRequest = { ...current, ...patch, state: 'consumed' };
        await this.#emit('approval.consumed', consumed, principal, 'approved', { token_jti: claims.jti });
        return consumed;
      }
    }
    const after = current.state === 'approved' ? await this.#store.get(current.id) : current;
    const state: State = after?.state ?? 'consumed';
    if (state === 'consumed') {
      await this.#emit('approval.replay_attempted', after ?? current, principal, state, { token_jti: claims.jti });
    }
    throw stateError(state);
  }

  async #decide(reviewer: Principal, id: string, justification: string, to: 'approved' | 'denied'): Promise<ApprovalRequest> {
    const text = this.#checkJustification(justification);
    if (reviewer.agent !== undefined || reviewer.delegation.length > 0) throw approvalError('ERR_APPROVAL_AGENT_FORBIDDEN');
    const request = await this.#load(reviewer, id);
    if (isActorOf(reviewer, request)) throw approvalError('ERR_APPROVAL_SELF_DECISION');
    if (!reviewer.roles.includes(request.required_role)) {
      throw approvalError('ERR_APPROVAL_ROLE_REQUIRED', { required_role: request.required_role });
    }
    const current = await this.#settleExpiry(request, reviewer);
    if (current.state !== 'pending') throw current.state === 'expired' ? stateError('expired') : approvalError('ERR_APPROVAL_NOT_PENDING', { state: current.state });
    const patch: ApprovalPatch = {
      decided_by: { user: reviewer.user, issuer: reviewer.issuer, roles: [...reviewer.roles] },
      decided_at: this.#clock.now(),
      justification: text,
      ...(to === 'approved' ? { token_jti: newId('jti') } : {}),
    };
    if (!(await this.#store.transition(current.id, 'pending', to, patch))) {
      const after = await this.#store.get(current.id);
      throw after?.state === 'expired' ? stateError('expired') : approvalError('ERR_APPROVAL_NOT_PENDING', { state: after?.state ?? null });
    }
    const decided: ApprovalRequest = { ...current, ...patch, state: to };
    await this.#emit(to === 'approved' ? 'approval.approved' : 'approval.denied', decided, reviewer, 'pending', {
      justification: text,
      ...(patch.token_jti === undefined ? {} : { token_jti: patch.token_jti }),
    });
    return decided;
  }

  /** Loads a request of the principal's tenant; missing, malformed and foreign ids all read as not found. */
  async #load(principal: Principal, id: string): Promise<ApprovalRequest> {
    if (!isWellFormedId(id, 'apr')) throw approvalError('ERR_APPROVAL_NOT_FOUND');
    const request = await this.#store.get(id);
    if (request === null || request.tenant !== principal.tenant) throw approvalError('ERR_APPROVAL_NOT_FOUND');
    return request;
  }

  /** A pending or approved request past its expiry becomes `expired` (once, with its event). */
  async #settleExpiry(request: ApprovalRequest, observer: Principal): Promise<ApprovalRequest> {
    const now = this.#clock.now();
    if ((request.state !== 'pending' && request.state !== 'approved') || request.expires_at > now) return request;
    const patch: ApprovalPatch = { expired_at: now };
    if (await this.#store.transition(request.id, request.state, 'expired', patch)) {
      const expired: ApprovalRequest = { ...request, ...patch, state: 'expired' };
      await this.#emit('approval.expired', expired, observer, request.state, {});
      return expired;
    }
    return (await this.#store.get(request.id)) ?? request;
  }

  #checkJustification(justification: unknown): string {
    const text = typeof justification === 'string' ? justification.trim() : '';
    if (text.length === 0 || text.length > this.#maxJustification || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text) || !text.isWellFormed()) {
      throw approvalError('ERR_APPROVAL_JUSTIFICATION_INVALID', { max_length: this.#maxJustification });
    }
    return text;
  }

  async #emit(
    type: ApprovalEventType,
    request: ApprovalRequest,
    operator: Principal,
    previous: State,
    extra: Pick<ApprovalEvent, 'justification' | 'token_jti'>,
  ): Promise<void> {
    if (this.#onEvent === undefined) return;
    await this.#onEvent({
      type,
      approval_id: request.id,
      tenant: request.tenant,
      action_hash: request.action_hash,
      tool: request.tool,
      policy_version: request.policy_version,
      requester: { ...request.requester },
      operator: operatorOf(operator),
      at: this.#clock.now(),
      previous_state: previous,
      ...extra,
    });
  }
}

/** Same user in the same tenant (and the same issuer, when the request recorded one). */
/** The reviewer is the requesting user, its acting agent, or any actor of its delegation chain. */
function isActorOf(reviewer: Principal, request: ApprovalRequest): boolean {
  const { user, agent, delegation } = request.requester;
  return reviewer.user === user || reviewer.user === agent || (delegation ?? []).includes(reviewer.user);
}

export function isRequester(principal: Principal, request: ApprovalRequest): boolean {
  return (
    principal.tenant === request.tenant &&
    principal.user === request.requester.user &&
    (request.requester.issuer === undefined || request.requester.issuer === principal.issuer)
  );
}

function stateError(state: State): AirlockError {
  const code: ApprovalErrorCode =
    state === 'expired' ? 'ERR_APPROVAL_EXPIRED' : state === 'consumed' ? 'ERR_APPROVAL_CONSUMED' : 'ERR_APPROVAL_NOT_APPROVED';
  return approvalError(code, { state });
}
