/**
 * Review of upstream MCP tool definitions inside a running gateway (HTTP API and web console):
 * the definitions waiting for a decision with the one last approved beside them (for a diff),
 * and approve / reject — one or many at once — by a human operator with the security-admin
 * role. Each decision applies to the definition the operator saw (its hash): one the upstream
 * changed since is refused (ERR_MCP_PIN_STALE), one the poisoning scanner flagged needs
 * `accept_findings`. Every decision is an audit event naming the operator.
 */
import { AirlockError, isAirlockError } from '../../core/errors.ts';
import type { Clock } from '../../core/clock.ts';
import type { Principal } from '../../core/types.ts';
import type { AirlockConfig } from '../../config/types.ts';
import type { AuditStore } from '../../audit/index.ts';
import type { PinDecider, PinState, PinStore } from '../../mcp/index.ts';
import type { PinView } from './admin.ts';
import { MCP_ADMIN_ROLES, definitionDecisionEvent, pinView, resolveHash } from './admin.ts';

/** Most definitions one bulk decision takes. */
export const MAX_BULK_DEFINITIONS = 100;

export interface DefinitionDecisionInput {
  items: Array<{ name: string; hash: string; accept_findings?: boolean }>;
  verdict: 'approve' | 'reject';
  justification: string;
}

/** One item's outcome: the record after the decision, or why it was refused (the others still apply). */
export type DefinitionDecisionOutcome = { name: string; ok: true; definition: PinView } | { name: string; ok: false; error: { code: string; message: string } };

export interface DefinitionReview {
  list(operator: Principal, filter?: { state?: PinState }): Promise<PinView[]>;
  decide(operator: Principal, input: DefinitionDecisionInput): Promise<DefinitionDecisionOutcome[]>;
}

function requireOperator(operator: Principal): void {
  if (!operator.roles.some((r) => MCP_ADMIN_ROLES.includes(r)) || operator.agent !== undefined) {
    throw new AirlockError('ERR_MCP_FORBIDDEN', 'reviewing upstream tool definitions needs the security-admin role (and no acting agent)', { status: 403 });
  }
}

export function createDefinitionReview(deps: { config: AirlockConfig; pins: PinStore; audit: AuditStore; clock: Clock }): DefinitionReview {
  const { config, pins, audit, clock } = deps;
  const all = async () => (await pins.list()).map((record) => pinView(config, record));

  const decideOne = async (operator: Principal, item: DefinitionDecisionInput['items'][number], input: DefinitionDecisionInput): Promise<PinView> => {
    const current = (await all()).find((p) => p.name === item.name);
    if (current === undefined) throw new AirlockError('ERR_MCP_PIN_NOT_FOUND', `no upstream tool named ${item.name}`, { status: 404 });
    const hash = resolveHash(current, item.hash);
    if (input.verdict === 'approve' && current.findings.length > 0 && item.accept_findings !== true) {
      const rules = [...new Set(current.findings.map((f) => f.rule))].join(', ');
      throw new AirlockError('ERR_MCP_FLAGGED', `${item.name} was flagged by the poisoning scanner (${rules}); review it and accept the findings to approve`, { status: 409 });
    }
    const by: PinDecider = { kind: 'operator', user: operator.user, tenant: operator.tenant, issuer: operator.issuer, roles: [...operator.roles] };
    const decided = pinView(config, await pins.decide({ upstream: current.upstream, tool: current.tool, hash, verdict: input.verdict, by, justification: input.justification, now: clock.now() }));
    await audit.append([
      definitionDecisionEvent(operator, decided, current, hash, input),
    ]);
    return decided;
  };

  return {
    async list(operator, filter = {}) {
      requireOperator(operator);
      return (await all()).filter((p) => filter.state === undefined || p.state === filter.state);
    },

    async decide(operator, input) {
      requireOperator(operator);
      const justification = input.justification.trim();
      if (justification === '' || justification.length > 2000) {
        throw new AirlockError('ERR_REQUEST_MALFORMED', 'a justification is required (at most 2000 characters)', { status: 400 });
      }
      if (input.items.length === 0 || input.items.length > MAX_BULK_DEFINITIONS) {
        throw new AirlockError('ERR_REQUEST_MALFORMED', `name between 1 and ${MAX_BULK_DEFINITIONS} definitions`, { status: 400 });
      }
      const outcomes: DefinitionDecisionOutcome[] = [];
      for (const item of input.items) {
        try {
          outcomes.push({ name: item.name, ok: true, definition: await decideOne(operator, item, { ...input, justification }) });
        } catch (error) {
          // A fault (store or audit down) stops the batch; a refusal of one item does not.
          if (!isAirlockError(error) || error.status >= 500) throw error;
          outcomes.push({ name: item.name, ok: false, error: { code: error.code, message: error.message } });
        }
      }
      return outcomes;
    },
  };
}
