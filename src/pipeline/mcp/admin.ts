/**
 * Operator tasks on MCP tool definitions (`airlock mcp tools pending|approve|reject`),
 * straight on a config's stores — no upstream is started. Reading needs access to the
 * state database; deciding also needs an operator token (`security-admin` role, no acting
 * agent), verified exactly as over HTTP, and every decision is an audit event naming the
 * operator. A decision applies to the definition the operator reviewed (its hash): if the
 * upstream changed it in the meantime, the decision is refused (ERR_MCP_PIN_STALE).
 */
import { AirlockError } from '../../core/errors.ts';
import type { AuditEventInput, Principal } from '../../core/types.ts';
import type { AirlockConfig } from '../../config/types.ts';
import { resolveSecretRef } from '../../config/index.ts';
import { TokenVerifier } from '../../identity/index.ts';
import type { PinDecider, PinRecord, PinState, PinStore } from '../../mcp/index.ts';
import { exposedName } from '../../mcp/index.ts';
import { openDurableAudit, openDurablePins } from '../../stores/index.ts';
import { actorOf, refsOf, standaloneEvent } from '../events.ts';

/** Roles that may admit or reject upstream tool definitions. */
export const MCP_ADMIN_ROLES = ['security-admin'];

export interface PinView extends PinRecord {
  /** The name clients see (`<prefix>.<tool>`, or the bare name for an unprefixed upstream). */
  name: string;
  /** Whether the upstream is still in the config. */
  configured: boolean;
}

export interface McpPinAdmin {
  list(filter?: { state?: PinState; upstream?: string }): Promise<PinView[]>;
  /** The record behind a name as clients see it (`fs.read_file`). */
  find(name: string): Promise<PinView>;
  decide(input: { name: string; hash: string; verdict: 'approve' | 'reject'; justification: string; token: string; acceptFindings?: boolean }): Promise<PinView>;
  close(): Promise<void>;
}

/** A pin record with the name clients see and whether its upstream is still configured. */
export function pinView(config: AirlockConfig, record: PinRecord): PinView {
  const upstream = (config.mcp?.upstreams ?? []).find((u) => u.prefix === record.upstream);
  let name = `${record.upstream}.${record.tool}`;
  try {
    name = exposedName(record.upstream, record.tool, upstream?.namespace ?? 'prefixed');
  } catch {
    // keep the prefixed spelling
  }
  return { ...record, name, configured: upstream !== undefined };
}

function usage(message: string): AirlockError {
  return new AirlockError('ERR_MCP_USAGE', message, { status: 400 });
}

export async function openMcpPinAdmin(config: AirlockConfig): Promise<McpPinAdmin> {
  const durable = await openDurablePins(config);
  if (durable === null) {
    throw usage('this config keeps its state in memory: pins live only inside the running gateway (use approval: first_use, or sqlite state)');
  }
  const auditConfig = config.audit;
  const pins: PinStore = durable.pins;
  const view = (record: PinRecord): PinView => pinView(config, record);
  const all = async () => (await pins.list()).map(view);
  const find = async (name: string): Promise<PinView> => {
    const found = (await all()).find((p) => p.name === name);
    if (found === undefined) throw new AirlockError('ERR_MCP_PIN_NOT_FOUND', `no upstream tool named ${name}`, { status: 404 });
    return found;
  };

  return {
    async list(filter = {}) {
      return (await all()).filter((p) => (filter.state === undefined || p.state === filter.state) && (filter.upstream === undefined || p.upstream === filter.upstream));
    },

    find,

    async decide(input) {
      if (input.justification.trim() === '' || input.justification.length > 2000) {
        throw usage('a justification is required (at most 2000 characters)');
      }
      if (auditConfig.type === 'memory') throw usage('this config keeps its audit log in memory: decisions on tool definitions must be audited durably');
      const verifier = await TokenVerifier.create(config.identity, {
        baseDir: config.baseDir,
        resolveSecret: (ref) => resolveSecretRef(ref, config.baseDir),
      });
      const operator = await verifier.verify(input.token);
      if (!operator.roles.some((r) => MCP_ADMIN_ROLES.includes(r)) || operator.agent !== undefined) {
        throw new AirlockError('ERR_MCP_FORBIDDEN', 'deciding on upstream tool definitions needs the security-admin role (and no acting agent)', { status: 403 });
      }
      const current = await find(input.name);
      const hash = resolveHash(current, input.hash);
      if (input.verdict === 'approve' && current.findings.length > 0 && input.acceptFindings !== true) {
        throw new AirlockError('ERR_MCP_FLAGGED', `${input.name} was flagged by the poisoning scanner (${[...new Set(current.findings.map((f) => f.rule))].join(', ')}); review it and approve with --accept-findings`, {
          status: 409,
        });
      }
      const by: PinDecider = { kind: 'operator', user: operator.user, tenant: operator.tenant, issuer: operator.issuer, roles: [...operator.roles] };
      const decided = view(
        await pins.decide({ upstream: current.upstream, tool: current.tool, hash, verdict: input.verdict, by, justification: input.justification, now: Date.now() }),
      );
      const key = auditConfig.checkpointKey;
      const audit = await openDurableAudit(config, key === undefined ? {} : { checkpointKey: await resolveSecretRef(key, config.baseDir, { createIfMissing: true }) });
      if (audit === null) throw usage('this config keeps its audit log in memory: decisions on tool definitions must be audited durably');
      try {
        await audit.append([
          definitionDecisionEvent(operator, decided, current, hash, input),
        ]);
      } finally {
        await audit.close();
      }
      return decided;
    },

    async close() {
      await durable.close();
    },
  };
}

/** The full hash the operator means: the observed one, named in full or by a prefix of at least 8 hex digits. */
/** The audit event of an operator's decision on a tool definition (CLI and HTTP alike). */
export function definitionDecisionEvent(
  operator: Principal,
  decided: PinView,
  reviewed: Pick<PinRecord, 'findings'>,
  hash: string,
  input: { verdict: 'approve' | 'reject'; justification: string },
): AuditEventInput {
  return standaloneEvent(
    input.verdict === 'approve' ? 'mcp.tool.approved' : 'mcp.tool.rejected',
    { ...actorOf(operator), agent: null },
    {
      upstream: decided.upstream,
      tool: decided.tool,
      name: decided.name,
      hash,
      by: 'operator',
      operator: { user: operator.user, tenant: operator.tenant, issuer: operator.issuer },
      justification: input.justification.slice(0, 2000),
      findings: reviewed.findings.map((f) => f.rule),
      approved_hash: decided.approved_hash,
    },
    refsOf(hash),
  );
}

export function resolveHash(record: PinRecord, given: string): string {
  const wanted = given.replace(/^sha256:/, '').toLowerCase();
  const observed = record.hash.replace(/^sha256:/, '');
  if (wanted.length < 8 || !/^[0-9a-f]+$/.test(wanted)) throw usage('give the reviewed definition hash (--hash, at least 8 hex digits, from `airlock mcp tools pending`)');
  if (!observed.startsWith(wanted)) {
    throw new AirlockError('ERR_MCP_PIN_STALE', 'the definition changed since it was reviewed; review the current one', {
      status: 409,
      details: { observed: record.hash },
    });
  }
  return record.hash;
}
