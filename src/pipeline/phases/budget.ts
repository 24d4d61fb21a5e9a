/**
 * budget: charges the call to its session's budgets — one step, one tool call, the tool's
 * cost — and extends the session's run of identical calls (same tool, same normalized
 * arguments), in the shared store, before policy is asked. A call that takes a total past its
 * budget, or the identical run past its limit, is refused (`budget.*` / `loop.*`) and the
 * session is suspended once the call has ended (see pipeline/budgets.ts). A store that cannot
 * answer refuses the call (fail closed). Calls outside a session are not budgeted.
 */
import { canonicalHash } from '../../core/canonical.ts';
import { budgetBreach, toMicros } from '../../budgets/index.ts';
import type { CallState } from '../call.ts';
import { denyWith } from '../call.ts';
import type { PipelineEnv } from '../env.ts';

export const BUDGET_RULE = 'builtin.session_budget';

export async function budget(call: CallState, env: PipelineEnv): Promise<void> {
  const budgets = env.budgets;
  const { session, tool } = call;
  if (budgets === null || budgets === undefined || session === undefined || tool === undefined || call.argsHash === undefined) return;
  const totals = await budgets.store.charge(
    session.id,
    { steps: 1, toolCalls: 1, spendMicros: toMicros(tool.cost ?? 0), fingerprint: canonicalHash({ tool: tool.name, args: call.argsHash }) },
    env.clock.now(),
  );
  const breach = budgetBreach(totals, budgets.config, { denials: false });
  if (breach === null) return;
  denyWith(call, 'budget', breach.code, BUDGET_RULE, breach.reason);
  call.budgetBreach = { ...breach, totals };
}
