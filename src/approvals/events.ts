/**
 * Audit-event descriptions of approval state changes. The workflow hands them to an
 * `onEvent` callback; the pipeline writes them to the audit store.
 */
import type { Operator } from '../core/operator.ts';
import { operatorOf } from '../core/operator.ts';
import type { ApprovalRequest } from './types.ts';

export type ApprovalEventType =
  | 'approval.approved'
  | 'approval.denied'
  | 'approval.expired'
  | 'approval.consumed'
  | 'approval.replay_attempted';

/** Whoever caused the event (core's Operator). */
export type ApprovalOperator = Operator;
export { operatorOf };

export interface ApprovalEvent {
  type: ApprovalEventType;
  approval_id: string;
  tenant: string;
  action_hash: string;
  tool: string;
  policy_version: string;
  requester: ApprovalRequest['requester'];
  /** Reviewer (approved/denied), consuming principal (consumed/replay), or whoever observed the expiry. */
  operator: ApprovalOperator | null;
  /** Epoch milliseconds, from the workflow's clock. */
  at: number;
  justification?: string;
  token_jti?: string;
  /** State the request was in before this event (or, for a replay, the state found). */
  previous_state: ApprovalRequest['state'];
}

export type ApprovalEventSink = (event: ApprovalEvent) => void | Promise<void>;

