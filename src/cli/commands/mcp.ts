/**
 * `airlock mcp --config FILE`: the stdio MCP door (for desktop and IDE clients): an MCP
 * server on stdin/stdout fronting the config's upstream MCP servers through the gateway,
 * acting as the principal of the token in `mcp.identity_token` (or AIRLOCK_TOKEN). Stdout
 * carries the protocol only; logs go to stderr.
 *
 * `airlock mcp tools pending|show|approve|reject`: the operator's review of upstream tool
 * definitions (pins), on the config's state database; decisions need an operator token and
 * the hash of the reviewed definition, and are audit events naming the operator.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import pino from 'pino';
import { AirlockError } from '../../core/errors.ts';
import { resolveSecretRef } from '../../config/index.ts';
import type { PinView } from '../../pipeline/index.ts';
import { createMcpGateway, loadToolkit, openMcpPinAdmin } from '../../pipeline/index.ts';
import { createMcpDoorSession } from '../../server/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { dim, green, printJson, printable, red, table, yellow } from '../output.ts';

export async function mcpServeCommand(options: { config: string }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  const ref = config.mcp?.identityToken;
  const token = ref !== undefined ? new TextDecoder().decode(await resolveSecretRef(ref, config.baseDir)).trim() : process.env.AIRLOCK_TOKEN?.trim();
  if (token === undefined || token === '') {
    throw new CliExit(2, 'airlock mcp: no identity token: set mcp.identity_token in the config (a secret reference) or AIRLOCK_TOKEN');
  }
  const logger = pino({ base: { service: 'airlock-mcp' } }, pino.destination(2));
  const { gateway, hub } = await createMcpGateway(config, {
    ...(await loadToolkit(config)),
    // One client, one call at a time: commit on the calling thread (lower latency than the writer thread).
    auditWriter: 'inline',
    onUnrecordedStop: ({ request_id, code, error }) => logger.error({ request_id, code, err: error }, 'refused call could not be recorded in the audit log'),
    onMcpFault: (what, error) => logger.warn({ err: error }, `mcp: ${what} failed`),
  });
  try {
    const principal = await gateway.authenticate(token);
    logger.info({ user: principal.user, tenant: principal.tenant, upstreams: hub.status() }, 'airlock mcp (stdio) ready');
  } catch (error) {
    await gateway.close();
    throw error;
  }
  const door = createMcpDoorSession({ gateway, hub, token: () => token, approvalsBaseUrl: `http://${config.server.host}:${config.server.port}` });
  const transport = new StdioServerTransport();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await door.dispose();
    await gateway.close();
    process.exit(0);
  };
  transport.onclose = () => void stop();
  process.stdin.once('end', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await door.server.connect(transport);
}

interface PinOptions {
  config: string;
  json?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const short = (hash: string | null) => (hash === null ? '-' : hash.replace(/^sha256:/, '').slice(0, 12));

function stateLabel(pin: PinView): string {
  if (pin.state === 'approved') return green('approved');
  if (pin.state === 'rejected') return red('rejected');
  return yellow(pin.approved_hash === null ? 'pending' : 'changed');
}

function pinRows(pins: PinView[]): string {
  if (pins.length === 0) return dim('no upstream tool definitions to review');
  return table(
    ['name', 'state', 'hash', 'approved', 'findings', 'observed', 'description'],
    pins.map((p) => {
      const description = (p.definition.description ?? '').replace(/\s+/g, ' ');
      return [
        p.name,
        stateLabel(p),
        short(p.hash),
        short(p.approved_hash),
        p.findings.length === 0 ? '-' : red([...new Set(p.findings.map((f) => f.rule))].join(',')),
        iso(p.observed_at),
        description.length > 50 ? `${description.slice(0, 47)}...` : description,
      ];
    }),
  );
}

async function withAdmin<T>(options: PinOptions, work: (admin: Awaited<ReturnType<typeof openMcpPinAdmin>>) => Promise<T>): Promise<T> {
  const admin = await openMcpPinAdmin(await loadConfigOrExit(options.config));
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

export async function mcpToolsPendingCommand(options: PinOptions & { all?: boolean }): Promise<void> {
  const pins = await withAdmin(options, (admin) => admin.list(options.all === true ? {} : { state: 'pending' }));
  if (options.json === true) printJson({ tools: pins });
  else process.stdout.write(`${pinRows(pins)}\n`);
}

export async function mcpToolsShowCommand(name: string, options: PinOptions): Promise<void> {
  const pin = await withAdmin(options, (admin) => admin.find(name));
  if (options.json === true) {
    printJson({ tool: pin });
    return;
  }
  const lines = [
    `${pin.name}  (upstream ${pin.upstream}, tool ${pin.tool})  ${stateLabel(pin)}`,
    `hash      ${pin.hash}`,
    `approved  ${pin.approved_hash ?? '-'}`,
    pin.decided_by === undefined ? '' : `decided   ${pin.decided_by.kind === 'first_use' ? 'first use' : `${pin.decided_by.user} (${pin.decided_by.tenant ?? '-'})`} at ${iso(pin.decided_at ?? 0)}: ${pin.justification ?? ''}`,
    ...pin.findings.map((f) => red(`finding   ${f.rule} at ${f.path}: ${f.excerpt}`)),
    '',
    'definition (as served now):',
    JSON.stringify(pin.definition, null, 2),
  ];
  if (pin.approved_definition !== null && pin.approved_hash !== pin.hash) {
    lines.push('', 'approved definition:', JSON.stringify(pin.approved_definition, null, 2));
  }
  process.stdout.write(`${printable(lines.filter((l) => l !== '').join('\n'), { newlines: true })}\n`);
}

function operatorToken(given: string | undefined): string {
  const token = given ?? process.env.AIRLOCK_TOKEN;
  if (token === undefined || token.trim() === '') {
    throw new AirlockError('ERR_CLI_USAGE', 'give the operator token with --token or AIRLOCK_TOKEN', { status: 400 });
  }
  return token.trim();
}

export async function mcpToolsDecideCommand(
  verdict: 'approve' | 'reject',
  name: string | undefined,
  options: PinOptions & { hash?: string; justification: string; token?: string; acceptFindings?: boolean },
): Promise<void> {
  if (name === undefined || options.hash === undefined) {
    throw new AirlockError('ERR_CLI_USAGE', `name the definition and its reviewed hash (${verdict} <name> --hash <hash>)${verdict === 'approve' ? ', or use --all-pending' : ''}`, { status: 400 });
  }
  const token = operatorToken(options.token);
  const hash = options.hash;
  const pin = await withAdmin(options, (admin) =>
    admin.decide({ name, hash, verdict, justification: options.justification, token, acceptFindings: options.acceptFindings === true }),
  );
  if (options.json === true) printJson({ tool: pin });
  else process.stdout.write(`${pin.name}: ${stateLabel(pin)} (${short(pin.hash)})\n`);
}

/**
 * `airlock mcp tools approve --all-pending`: approves every pending definition at the hash it
 * is listed with now (each decision recorded with that hash, one audit event each). A flagged
 * definition is left pending unless --accept-findings; one that changed since the listing is
 * left pending (its new version needs its own review). Exit 1 when any was left.
 */
export async function mcpToolsApproveAllPendingCommand(
  name: string | undefined,
  options: PinOptions & { hash?: string; justification: string; token?: string; acceptFindings?: boolean },
): Promise<void> {
  if (name !== undefined || options.hash !== undefined) {
    throw new AirlockError('ERR_CLI_USAGE', '--all-pending takes no name and no --hash: each pending definition is approved at the hash listed now', { status: 400 });
  }
  const token = operatorToken(options.token);
  const results = await withAdmin(options, async (admin) => {
    const out: Array<{ name: string; hash: string; result: string }> = [];
    for (const pin of await admin.list({ state: 'pending' })) {
      try {
        const decided = await admin.decide({ name: pin.name, hash: pin.hash, verdict: 'approve', justification: options.justification, token, acceptFindings: options.acceptFindings === true });
        out.push({ name: pin.name, hash: pin.hash, result: stateLabel(decided) });
      } catch (error) {
        // Authorization problems stop everything; a flagged or changed definition is left for review.
        if (error instanceof AirlockError && (error.code === 'ERR_MCP_FLAGGED' || error.code === 'ERR_MCP_PIN_STALE')) {
          out.push({ name: pin.name, hash: pin.hash, result: error.code === 'ERR_MCP_FLAGGED' ? 'left pending: flagged (review it, or --accept-findings)' : 'left pending: changed since listed' });
        } else throw error;
      }
    }
    return out;
  });
  if (options.json === true) printJson({ tools: results });
  else if (results.length === 0) process.stdout.write('no pending definitions\n');
  else process.stdout.write(`${printable(results.map((r) => `${r.name}  ${short(r.hash)}  ${r.result}`).join('\n'), { newlines: true })}\n`);
  if (results.some((r) => r.result.startsWith('left pending'))) throw new CliExit(1, '');
}

/**
 * `airlock mcp status`: connects to the config's upstream MCP servers as a gateway start
 * would (discovering and pinning their tools), prints each one's state — connected, tools
 * served, tools refused, and for one that is not connected why, with the tail of what its
 * process wrote to stderr (secrets redacted) — and disconnects. Exit 1 when one is not connected.
 */
export async function mcpStatusCommand(options: { config: string; json?: boolean }): Promise<void> {
  const config = await loadConfigOrExit(options.config);
  if ((config.mcp?.upstreams ?? []).length === 0) throw new CliExit(2, 'this config has no mcp.upstreams');
  const { gateway, hub } = await createMcpGateway(config, { ...(await loadToolkit(config)), auditWriter: 'inline' });
  let status: ReturnType<typeof hub.status>;
  try {
    status = hub.status();
  } finally {
    await gateway.close();
  }
  if (options.json === true) printJson({ upstreams: status });
  else {
    const rows = status.map((u) => [u.prefix, u.connected ? green('connected') : red('not connected'), String(u.tools), String(Object.keys(u.refused).length), u.last_error ?? '']);
    const lines = [table(['upstream', 'state', 'tools', 'refused', 'last error'], rows)];
    for (const u of status) {
      if (u.stderr_tail !== undefined) lines.push('', `${u.prefix} stderr (last lines):`, ...u.stderr_tail.split('\n').slice(-10).map((l) => `  ${l}`));
    }
    process.stdout.write(`${printable(lines.join('\n'), { newlines: true })}\n`);
  }
  if (status.some((u) => !u.connected)) throw new CliExit(1, '');
}
