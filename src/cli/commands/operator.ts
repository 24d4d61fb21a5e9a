/**
 * Operator commands over a config's stores: `approvals list|approve|deny`, `overrides
 * list|create|revoke`, `credentials revoke`, `killswitch engage|release|list`. The operator proves who they are with a bearer
 * token (`--token` or AIRLOCK_TOKEN), exactly as over HTTP: the same roles, tenant and
 * no-agent rules apply, and every change is audited with their identity.
 */
import type { ApprovalRequest } from '../../pipeline/index.ts';
import { AirlockError } from '../../core/errors.ts';
import type { CredentialRevocation, Gateway, KillSwitch, KillSwitchScope, Override } from '../../pipeline/index.ts';
import { CREDENTIAL_REVOCATION_KEYS, KILL_SWITCH_SCOPES, createGateway, loadToolkit } from '../../pipeline/index.ts';
import { loadConfigOrExit } from '../config-loading.ts';
import { dim, outcomeLabel, printJson, table } from '../output.ts';

export interface OperatorOptions {
  config: string;
  token?: string;
  json?: boolean;
}

function tokenOf(options: OperatorOptions): string {
  const token = options.token ?? process.env.AIRLOCK_TOKEN;
  if (token === undefined || token.trim() === '') {
    throw new AirlockError('ERR_CLI_USAGE', 'give the operator token with --token or AIRLOCK_TOKEN', { status: 400 });
  }
  return token.trim();
}

export async function withGateway<T>(options: OperatorOptions, work: (gateway: Gateway, token: string) => Promise<T>): Promise<T> {
  const token = tokenOf(options);
  const config = await loadConfigOrExit(options.config);
  const gateway = await createGateway(config, await loadToolkit(config));
  try {
    return await work(gateway, token);
  } finally {
    await gateway.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function approvalRows(approvals: ApprovalRequest[]): string {
  if (approvals.length === 0) return dim('no approval requests');
  return table(
    ['id', 'state', 'tool', 'role', 'requester', 'affected', 'expires', 'summary'],
    approvals.map((a) => [
      a.id,
      a.state === 'pending' ? outcomeLabel('approval_required') : a.state,
      a.tool,
      a.required_role,
      a.requester.agent === null ? a.requester.user : `${a.requester.user} via ${a.requester.agent}`,
      String(a.affected_count),
      iso(a.expires_at),
      a.summary.length > 60 ? `${a.summary.slice(0, 57)}...` : a.summary,
    ]),
  );
}

export async function approvalsListCommand(options: OperatorOptions & { state?: string }): Promise<void> {
  const states = ['pending', 'approved', 'denied', 'expired', 'consumed'];
  if (options.state !== undefined && !states.includes(options.state)) {
    throw new AirlockError('ERR_CLI_USAGE', `--state must be one of ${states.join(', ')}`, { status: 400 });
  }
  const approvals = await withGateway(options, (g, t) => g.listApprovals(t, options.state as ApprovalRequest['state'] | undefined));
  if (options.json === true) printJson({ approvals });
  else process.stdout.write(`${approvalRows(approvals)}\n`);
}

export async function approvalsDecideCommand(
  verdict: 'approve' | 'deny',
  id: string,
  options: OperatorOptions & { justification: string },
): Promise<void> {
  const approval = await withGateway(options, (g, t) => g.decideApproval(t, id, verdict, options.justification));
  if (options.json === true) printJson({ approval });
  else process.stdout.write(`${approval.id}: ${approval.state}\n`);
}

function overrideRows(overrides: Override[], now: number): string {
  if (overrides.length === 0) return dim('no overrides');
  return table(
    ['id', 'state', 'covers', 'owner', 'created', 'expires', 'uses', 'justification'],
    overrides.map((o) => [
      o.id,
      o.revoked_at !== undefined ? 'revoked' : o.expired_at !== undefined || o.expires_at <= now ? 'expired' : 'open',
      o.scope.kind === 'tool' ? `tool ${o.scope.tool}` : `action ${o.scope.action_hash.slice(0, 19)}...`,
      o.owner.user,
      iso(o.created_at),
      iso(o.expires_at),
      String(o.uses),
      o.justification.length > 50 ? `${o.justification.slice(0, 47)}...` : o.justification,
    ]),
  );
}

export async function overridesListCommand(options: OperatorOptions & { open?: boolean }): Promise<void> {
  const register = await withGateway(options, (g, t) => g.overrideRegister(t));
  const now = Date.now();
  const shown = options.open === true ? register.overrides.filter((o) => o.revoked_at === undefined && o.expired_at === undefined && o.expires_at > now) : register.overrides;
  if (options.json === true) {
    printJson({ ...register, overrides: shown });
    return;
  }
  process.stdout.write(`${overrideRows(shown, now)}\n\nopen: ${register.open}   median age of open overrides: ${Math.round(register.median_age_seconds)} s\n`);
}

export async function overridesCreateCommand(
  options: OperatorOptions & { tool?: string; actionHash?: string; tenant?: string; justification: string; ttl?: string },
): Promise<void> {
  if ((options.tool === undefined) === (options.actionHash === undefined)) {
    throw new AirlockError('ERR_CLI_USAGE', 'give exactly one of --tool or --action-hash', { status: 400 });
  }
  const ttl = options.ttl === undefined ? undefined : Number(options.ttl);
  const override = await withGateway(options, async (g, t) => {
    const tenant = options.tenant ?? (await g.authenticate(t)).tenant;
    const scope =
      options.tool !== undefined
        ? ({ kind: 'tool', tool: options.tool, tenant } as const)
        : ({ kind: 'action', action_hash: options.actionHash as string, tenant } as const);
    return g.createOverride(t, { scope, justification: options.justification, ...(ttl === undefined ? {} : { ttlSeconds: ttl }) });
  });
  if (options.json === true) printJson({ override });
  else process.stdout.write(`${override.id}: open until ${iso(override.expires_at)}\n`);
}

export async function overridesRevokeCommand(id: string, options: OperatorOptions & { justification: string }): Promise<void> {
  const override = await withGateway(options, (g, t) => g.revokeOverride(t, id, options.justification));
  if (options.json === true) printJson({ override });
  else process.stdout.write(`${override.id}: revoked\n`);
}

export async function credentialsRevokeCommand(
  options: OperatorOptions & Partial<Record<(typeof CREDENTIAL_REVOCATION_KEYS)[number], string>>,
): Promise<void> {
  const given = CREDENTIAL_REVOCATION_KEYS.filter((k) => options[k] !== undefined);
  const key = given[0];
  if (given.length !== 1 || key === undefined) {
    throw new AirlockError('ERR_CLI_USAGE', `give exactly one of ${CREDENTIAL_REVOCATION_KEYS.map((k) => `--${k}`).join(', ')}`, { status: 400 });
  }
  const target = { [key]: options[key] } as CredentialRevocation;
  const result = await withGateway(options, (g, t) => g.revokeCredentials(t, target));
  if (options.json === true) printJson(result);
  else process.stdout.write(`revoked credentials: ${key} ${String(options[key])}\n`);
}

function killSwitchRows(switches: KillSwitch[]): string {
  if (switches.length === 0) return dim('no kill switches');
  return table(
    ['id', 'state', 'scope', 'target', 'tenant', 'engaged by', 'engaged', 'released', 'justification'],
    switches.map((s) => [
      s.id,
      s.released_at === undefined ? 'engaged' : 'released',
      s.scope,
      s.target,
      s.tenant ?? '(all)',
      s.engaged_by.user,
      iso(s.engaged_at),
      s.released_at === undefined ? '' : iso(s.released_at),
      s.justification.length > 50 ? `${s.justification.slice(0, 47)}...` : s.justification,
    ]),
  );
}

export async function killswitchEngageCommand(
  options: OperatorOptions & { scope: string; target?: string; justification: string; fleet?: boolean },
): Promise<void> {
  if (!(KILL_SWITCH_SCOPES as readonly string[]).includes(options.scope)) {
    throw new AirlockError('ERR_CLI_USAGE', `--scope must be one of ${KILL_SWITCH_SCOPES.join(', ')}`, { status: 400 });
  }
  if (options.scope !== 'global' && options.target === undefined) throw new AirlockError('ERR_CLI_USAGE', `--target is required for scope ${options.scope}`, { status: 400 });
  const input = {
    scope: options.scope as KillSwitchScope,
    justification: options.justification,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.fleet === true ? { fleet: true } : {}),
  };
  const killSwitch = await withGateway(options, (g, t) => g.engageKillSwitch(t, input));
  if (options.json === true) printJson({ kill_switch: killSwitch });
  else process.stdout.write(`${killSwitch.id}: engaged (${killSwitch.scope} ${killSwitch.target}${killSwitch.tenant === null ? ', every tenant' : `, tenant ${killSwitch.tenant}`})\n`);
}

export async function killswitchReleaseCommand(id: string, options: OperatorOptions & { justification: string }): Promise<void> {
  const killSwitch = await withGateway(options, (g, t) => g.releaseKillSwitch(t, id, options.justification));
  if (options.json === true) printJson({ kill_switch: killSwitch });
  else process.stdout.write(`${killSwitch.id}: released\n`);
}

export async function killswitchListCommand(options: OperatorOptions & { active?: boolean; all?: boolean }): Promise<void> {
  const switches = await withGateway(options, (g, t) => g.listKillSwitches(t, options.all === true ? {} : { active: true }));
  if (options.json === true) printJson({ kill_switches: switches });
  else process.stdout.write(`${killSwitchRows(switches)}\n`);
}
