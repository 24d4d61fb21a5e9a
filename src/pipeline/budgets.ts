/**
 * Session suspension: a session that broke a budget or ran away in a loop (identical calls,
 * repeated denials) is suspended — a session kill switch engaged on the gateway's own
 * authority (every replica refuses the session's calls at the screen phase; an operator
 * releases it to resume), its just-in-time credentials revoked (session revocation by the
 * `sid` claim), and an `alert.session_suspended` event in the audit log with the reason and
 * the totals. Denied calls are counted here, after the call has ended, for the denial limit.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { AuditEventInput } from '../core/types.ts';
import type { BudgetBreach, BudgetTotals } from '../budgets/index.ts';
import { budgetBreach } from '../budgets/index.ts';
import type { CallState } from './call.ts';
import type { PipelineEnv } from './env.ts';
import { callEvent, refsOf } from './events.ts';

/** Refusals that are not the agent's doing (or are already the budget's): not counted as denials. */
const NOT_COUNTED = /^(budget\.|loop\.|screen\.|killswitch\.|idempotency\.|state\.|audit\.|limit\.unavailable|session\.)/;

export function suspensionEvent(call: CallState, env: PipelineEnv, breach: BudgetBreach, totals: BudgetTotals, killSwitchId: string | null): AuditEventInput {
  return callEvent(call, env, 'alert.session_suspended', {
    data: {
      code: breach.code,
      reason: breach.reason,
      totals: { ...totals } as unknown as JsonValue,
      kill_switch_id: killSwitchId,
      severity: 'high',
    },
    ...refsOf(killSwitchId),
  });
}

/** After a call has ended: count a denial, and suspend the session when a limit was broken. Never changes the call's answer. */
export async function afterCallBudgets(call: CallState, env: PipelineEnv): Promise<void> {
  const budgets = env.budgets;
  const session = call.session;
  if (budgets === null || budgets === undefined || session === undefined || call.principal === undefined) return;
  let breach = call.budgetBreach;
  try {
    if (breach === undefined && call.stop?.outcome === 'deny' && !NOT_COUNTED.test(call.stop.code)) {
      const totals = await budgets.store.recordDenial(session.id, env.clock.now());
      const found = budgetBreach(totals, budgets.config);
      if (found !== null) breach = { ...found, totals };
    }
    if (breach !== undefined) await budgets.suspend(call, breach, breach.totals);
  } catch (error) {
    env.faults.onUnrecorded?.({ request_id: call.request_id, code: 'budget.suspension_failed', error });
  }
}
