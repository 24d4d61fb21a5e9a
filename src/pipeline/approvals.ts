/**
 * Wires the approval workflow: its signing key, its audit events (every state change, with the operator's identity), and the
 * gateway operations reviewers and requesters use.
 */
import type { Clock } from '../core/clock.ts';
import type { AuditEventInput } from '../core/types.ts';
import type { ApprovalStore } from '../approvals/index.ts';
import type { AuditStore } from '../audit/index.ts';
import type { AirlockConfig } from '../config/types.ts';
import type { AirlockError } from '../core/errors.ts';
import type { ApprovalEvent, ApprovalNotifier } from '../approvals/index.ts';
import { ApprovalService, createApprovalNotifier as createNotifier } from '../approvals/index.ts';
import { refsOf, standaloneEvent } from './events.ts';
import { gatewayKey } from './keys.ts';

export function approvalAuditEvent(event: ApprovalEvent): AuditEventInput {
  const operator = event.operator;
  const actor = { user: operator?.user ?? null, tenant: operator?.tenant ?? event.tenant, roles: operator?.roles ?? [], agent: operator?.agent ?? null };
  return standaloneEvent(
    event.type,
    actor,
    {
      approval_id: event.approval_id,
      action_hash: event.action_hash,
      policy_version: event.policy_version,
      previous_state: event.previous_state,
      requester: { user: event.requester.user, agent: event.requester.agent },
      at: new Date(event.at).toISOString(),
      ...(event.justification === undefined ? {} : { justification: event.justification }),
      ...(event.token_jti === undefined ? {} : { token_jti: event.token_jti }),
    },
    { tool: event.tool, ...refsOf(event.approval_id, event.token_jti) },
  );
}

export async function createApprovalWorkflow(
  config: AirlockConfig,
  store: ApprovalStore,
  audit: AuditStore,
  clock: Clock,
): Promise<ApprovalService> {
  return new ApprovalService({
    store,
    clock,
    signingKey: await gatewayKey(config, config.approvals.signingKey, 'approval-signing.key'),
    onEvent: async (event) => {
      await audit.append([approvalAuditEvent(event)]);
    },
  });
}

/**
 * The approval notification webhook, when the config names one: its secret is resolved now
 * (a missing secret fails startup, not the first hold). Delivery failures are reported to
 * `onFailure` and never affect the call that was held.
 */
export async function createApprovalNotifier(
  config: AirlockConfig,
  resolveSecret: (ref: string) => Promise<Uint8Array>,
  onFailure: (error: AirlockError) => void,
): Promise<ApprovalNotifier | null> {
  const notify = config.approvals.notify;
  if (notify === undefined) return null;
  return createNotifier({
    url: notify.url,
    secret: await resolveSecret(notify.secret),
    ...(notify.timeoutMs === undefined ? {} : { timeoutMs: notify.timeoutMs }),
    ...(notify.retries === undefined ? {} : { retries: notify.retries }),
    onFailure,
  });
}
