/**
 * The HTTP API (v1), a thin door onto the Gateway: parse and check the request shape,
 * take the bearer token, call the gateway, map its answer to a status code. No policy,
 * no storage, no decisions here.
 */
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { Logger } from 'pino';
import { AirlockError, isAirlockError } from '../core/errors.ts';
import type { CreateOverrideInput, CredentialRevocation, Gateway, KillSwitchScope } from '../pipeline/index.ts';
import type { ContentInput } from '../pipeline/index.ts';
import { CREDENTIAL_REVOCATION_KEYS, loggableError, parseBearer, searchPageJson, searchQueryFromParams } from '../pipeline/index.ts';
import type { Decision } from '../core/types.ts';
import type { ApprovalRequest } from '../pipeline/index.ts';
import { assembleFields, contentFields, definitionDecisionFields, memoryFields, outputFields, readJson, text, toolCallFields } from './body.ts';
import { validBody } from './request-validation.ts';
import type { BodyRoute } from './request-schemas.ts';
import { requestBodyLimit } from './body-limit.ts';
import { openApiDocument } from './openapi.ts';
import { mountConsole } from './console.ts';
import { namesOtherHost } from './host.ts';

type Env = { Variables: { started: bigint } };

type ApprovalState = ApprovalRequest['state'];
const APPROVAL_STATES = new Set<string>(['pending', 'approved', 'denied', 'expired', 'consumed']);

const PIN_STATES = new Set<string>(['pending', 'approved', 'rejected']);

const STATUS_OF = { executed: 200, approval_required: 202, denied: 403, failed: 502, conflict: 409, outcome_unknown: 409 } as const;
const UNREPRESENTABLE = 'validate.unrepresentable';

export interface AppOptions {
  logger?: Logger;
}

/** The peer address of the connection (node-server binding); undefined elsewhere (then loopback-only routes refuse). */
function remoteAddressOf(c: Context): string | undefined {
  const bindings = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return bindings?.incoming?.socket?.remoteAddress;
}

export function createApp(gateway: Gateway, options: AppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const log = options.logger;

  app.use('*', async (c, next) => {
    c.set('started', process.hrtime.bigint());
    // Counted from the request's first byte (its body may still be in the parser): while it is
    // in flight no other call's audit commit runs on the event loop (the `auto` writer). Not the
    // MCP door's GET, a stream that stays open between calls.
    const finished = c.req.method === 'GET' && c.req.path === '/mcp' ? null : gateway.requestStarted();
    // Set before the handler answers, so c.json and c.body carry them; set afterwards they
    // would rebuild the finished Response (and send it down node-server's slow path).
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
    try {
      await next();
    } finally {
      finished?.();
    }
    // A Response a handler built itself (the MCP transport's) does not carry them yet.
    if (c.res.headers.get('x-content-type-options') === null) {
      c.header('cache-control', 'no-store');
      c.header('x-content-type-options', 'nosniff');
    }
    log?.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        latency_ms: Number(process.hrtime.bigint() - c.get('started')) / 1e6,
      },
      'request',
    );
  });

  const token = (c: Context): string => parseBearer(c.req.header('authorization'));

  // Authenticate first, on every route: a caller without a valid token learns nothing about
  // what a valid body looks like (401 before any body check, and before the body is read).
  // A token verified moments ago passes without a wait (no asynchronous step before the body).
  app.use('/v1/*', async (c, next) => {
    const bearer = token(c);
    if (gateway.recentlyAuthenticated(bearer) === null) await gateway.authenticate(bearer);
    await next();
  });

  app.use(
    '/v1/*',
    requestBodyLimit({
      maxSize: gateway.config.server.bodyLimitBytes,
      // The rest of the body is never read: the connection cannot carry another request, so say it closes.
      onError: (c) => {
        c.header('connection', 'close');
        return c.json({ error: { code: 'ERR_REQUEST_TOO_LARGE', message: 'the request body is too large' } }, 413);
      },
    }),
  );

  /** The body of `route`, read and checked against its JSON Schema (request-schemas.ts). */
  const bodyOf = async (c: Context, route: BodyRoute) => validBody(route, await readJson(c.req.raw));

  const toolCall = async (c: Context, route: 'POST /v1/decide' | 'POST /v1/tool-calls' | 'POST /v1/tool-calls/simulate') => {
    const body = await bodyOf(c, route);
    const traceparent = c.req.header('traceparent');
    const tracestate = c.req.header('tracestate');
    const traceContext = traceparent === undefined ? {} : { trace_context: { traceparent, ...(tracestate === undefined ? {} : { tracestate }) } };
    return { ...toolCallFields(body), token: token(c), raw_body: body, ...traceContext, door: 'http' as const };
  };

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const readiness = await gateway.ready();
    return c.json({ ...readiness, policy_version: gateway.policyVersion() }, readiness.ready ? 200 : 503);
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument()));
  // Prometheus scrape (server.metrics): a bearer token when one is configured, else loopback callers only.
  // A loopback caller is a loopback peer that also names a loopback host: a browser page of another
  // site rebound to 127.0.0.1 connects from loopback but sends its own name as Host (DNS rebinding).
  app.get('/metrics', async (c) => {
    const remoteAddress = namesOtherHost(c.req.header('host')) ? undefined : remoteAddressOf(c);
    const scrape = await gateway.metrics({ authorization: c.req.header('authorization'), remoteAddress });
    return c.body(scrape.body, 200, { 'content-type': scrape.contentType });
  });

  app.post('/v1/sessions', async (c) => {
    const body = await bodyOf(c, 'POST /v1/sessions');
    const session = await gateway.createSession(token(c), body.attributes ?? {}, body.targets === undefined || body.targets === null ? {} : { targets: body.targets });
    return c.json(session, 201);
  });

  app.post('/v1/sessions/:id/content', async (c) => {
    const body = await bodyOf(c, 'POST /v1/sessions/{id}/content');
    const input = contentFields(body) as ContentInput;
    return c.json(await gateway.registerContent(token(c), c.req.param('id'), input), 201);
  });

  app.post('/v1/context/assemble', async (c) => {
    const body = await bodyOf(c, 'POST /v1/context/assemble');
    return c.json(await gateway.assembleContext(token(c), assembleFields(body)), 200);
  });

  app.post('/v1/memory', async (c) => {
    const body = await bodyOf(c, 'POST /v1/memory');
    return c.json(await gateway.writeMemory(token(c), memoryFields(body)), 201);
  });
  app.get('/v1/memory', async (c) => {
    const limit = c.req.query('limit');
    const kind = c.req.query('kind');
    const q = c.req.query('q');
    const query = { ...(kind === undefined ? {} : { kind }), ...(q === undefined ? {} : { q: q.slice(0, 500) }), ...(limit === undefined ? {} : { limit: queryLimit(limit, 100) }) };
    return c.json({ memories: await gateway.searchMemory(token(c), query) });
  });
  // Before /v1/memory/:id, so `review` is not taken for an id.
  app.get('/v1/memory/review', async (c) => c.json({ pending: await gateway.pendingMemory(token(c)) }));
  app.post('/v1/memory/review/:id', async (c) => {
    const body = await bodyOf(c, 'POST /v1/memory/review/{id}');
    const verdict = body.verdict as 'promote' | 'reject';
    const justification = text(body, 'justification') ?? '';
    return c.json({ memory: await gateway.reviewMemory(token(c), c.req.param('id'), verdict, justification) });
  });
  app.get('/v1/memory/:id', async (c) => c.json({ memory: await gateway.getMemory(token(c), c.req.param('id')) }));
  app.delete('/v1/memory/:id', async (c) => {
    await gateway.deleteMemory(token(c), c.req.param('id'));
    return c.json({ deleted: true });
  });

  // A call refused because a value cannot be represented exactly (validate.unrepresentable) is
  // malformed input: 400 ERR_POLICY_UNREPRESENTABLE, with the recorded decision and its ids.
  const answer = <T extends { decision: Decision }>(c: Context, result: T, status: 200 | 202 | 403 | 409 | 502) =>
    result.decision.code === UNREPRESENTABLE
      ? c.json({ ...result, error: { code: 'ERR_POLICY_UNREPRESENTABLE', message: result.decision.reasons[0]?.reason ?? 'a value cannot be represented exactly' } }, 400)
      : c.json(result, status);

  app.post('/v1/decide', async (c) => answer(c, await gateway.decide(await toolCall(c, 'POST /v1/decide')), 200));

  app.post('/v1/tool-calls', async (c) => {
    const result = await gateway.execute(await toolCall(c, 'POST /v1/tool-calls'));
    return answer(c, result, STATUS_OF[result.status]);
  });

  app.post('/v1/tool-calls/simulate', async (c) => answer(c, await gateway.simulate(await toolCall(c, 'POST /v1/tool-calls/simulate')), 200));

  app.get('/v1/approvals', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !APPROVAL_STATES.has(state)) {
      throw new AirlockError('ERR_REQUEST_MALFORMED', `state must be one of ${[...APPROVAL_STATES].join(', ')}`, { status: 400 });
    }
    return c.json({ approvals: await gateway.listApprovals(token(c), state as ApprovalState | undefined) });
  });

  app.get('/v1/approvals/:id', async (c) => c.json(await gateway.getApproval(token(c), c.req.param('id'))));

  for (const verdict of ['approve', 'deny'] as const) {
    app.post(`/v1/approvals/:id/${verdict}`, async (c) => {
      const body = await bodyOf(c, `POST /v1/approvals/{id}/${verdict}`);
      const justification = text(body, 'justification') ?? '';
      return c.json({ approval: await gateway.decideApproval(token(c), c.req.param('id'), verdict, justification) });
    });
  }

  app.get('/v1/overrides', async (c) => c.json(await gateway.overrideRegister(token(c))));

  app.post('/v1/overrides', async (c) => {
    const body = await bodyOf(c, 'POST /v1/overrides');
    const ttl = body.ttl_seconds as number | undefined;
    const input = {
      scope: body.scope as CreateOverrideInput['scope'],
      justification: text(body, 'justification') ?? '',
      ...(ttl === undefined ? {} : { ttlSeconds: ttl }),
    };
    return c.json({ override: await gateway.createOverride(token(c), input) }, 201);
  });

  app.post('/v1/overrides/:id/revoke', async (c) => {
    const body = await bodyOf(c, 'POST /v1/overrides/{id}/revoke');
    const justification = text(body, 'justification') ?? '';
    return c.json({ override: await gateway.revokeOverride(token(c), c.req.param('id'), justification) });
  });

  app.get('/v1/admin/kill-switches', async (c) => {
    const active = c.req.query('active');
    if (active !== undefined && active !== 'true' && active !== 'false') throw new AirlockError('ERR_REQUEST_MALFORMED', 'active must be true or false', { status: 400 });
    const filter = active === undefined ? {} : { active: active === 'true' };
    return c.json({ kill_switches: await gateway.listKillSwitches(token(c), filter) });
  });

  app.post('/v1/admin/kill-switches', async (c) => {
    const body = await bodyOf(c, 'POST /v1/admin/kill-switches');
    const fleet = body.fleet as boolean | undefined;
    const target = text(body, 'target');
    const input = {
      scope: body.scope as KillSwitchScope,
      justification: text(body, 'justification') ?? '',
      ...(target === undefined ? {} : { target }),
      ...(fleet === undefined ? {} : { fleet }),
    };
    return c.json({ kill_switch: await gateway.engageKillSwitch(token(c), input) }, 201);
  });

  app.post('/v1/admin/kill-switches/:id/release', async (c) => {
    const body = await bodyOf(c, 'POST /v1/admin/kill-switches/{id}/release');
    const justification = text(body, 'justification') ?? '';
    return c.json({ kill_switch: await gateway.releaseKillSwitch(token(c), c.req.param('id'), justification) });
  });

  app.post('/v1/credentials/revoke', async (c) => {
    const body = await bodyOf(c, 'POST /v1/credentials/revoke');
    // The schema admits exactly one of the keys, as a non-empty string.
    const key = CREDENTIAL_REVOCATION_KEYS.find((k) => body[k] !== undefined) as (typeof CREDENTIAL_REVOCATION_KEYS)[number];
    return c.json(await gateway.revokeCredentials(token(c), { [key]: body[key] as string } as CredentialRevocation));
  });

  // Output governance: classify model output; resolve a reference token (reference roles, humans only).
  app.post('/v1/outputs/classify', async (c) => c.json(await gateway.classifyOutput(token(c), outputFields(await bodyOf(c, 'POST /v1/outputs/classify')))));
  app.post('/v1/data-references/resolve', async (c) => {
    const body = await bodyOf(c, 'POST /v1/data-references/resolve');
    return c.json(await gateway.resolveDataReference(token(c), body.reference as string));
  });

  // Idempotency records (operator role): list, read, resolve an unknown outcome, ask the tool's status check.
  app.get('/v1/idempotency/records', async (c) => {
    const state = c.req.query('state');
    const limit = c.req.query('limit');
    const filter = { ...(state === undefined ? {} : { state }), ...(limit === undefined ? {} : { limit: queryLimit(limit, 9999) }) };
    return c.json({ records: await gateway.listIdempotencyRecords(token(c), filter) });
  });
  app.get('/v1/idempotency/records/:id', async (c) => c.json({ record: await gateway.getIdempotencyRecord(token(c), c.req.param('id')) }));
  app.post('/v1/idempotency/records/:id/resolve', async (c) => {
    const body = await bodyOf(c, 'POST /v1/idempotency/records/{id}/resolve');
    const justification = text(body, 'justification') ?? '';
    return c.json({ record: await gateway.resolveIdempotencyRecord(token(c), c.req.param('id'), body.outcome, justification) });
  });
  app.post('/v1/idempotency/records/:id/check', async (c) => c.json(await gateway.checkIdempotencyRecord(token(c), c.req.param('id'))));

  app.get('/v1/audit/lineage/:id', async (c) => {
    const lineage = await gateway.lineage(c.req.param('id'), token(c));
    return c.json({ id: lineage.id, events: lineage.events, tree: lineage.tree, text: lineage.text });
  });
  app.get('/v1/audit/drill/:id', async (c) => c.json(await gateway.drill(c.req.param('id'), token(c)), 200));

  app.get('/v1/audit/events', async (c) => c.json(searchPageJson(await gateway.searchAudit(token(c), searchQueryFromParams(c.req.query())))));

  app.post('/v1/audit/verify', async (c) => c.json(await gateway.verifyAudit(token(c))));

  // Who the token says the caller is (the console shows it and picks its pages by the roles).
  app.get('/v1/me', async (c) => {
    const principal = await gateway.authenticate(token(c));
    return c.json({
      user: principal.user,
      tenant: principal.tenant,
      roles: principal.roles,
      agent: principal.agent ?? null,
      issuer: principal.issuer,
      ...(principal.expiresAt === undefined ? {} : { expires_at: principal.expiresAt }),
    });
  });

  app.get('/v1/audit/trends', async (c) => {
    const weeks = c.req.query('weeks');
    if (weeks !== undefined && !/^\d{1,3}$/.test(weeks)) throw new AirlockError('ERR_REQUEST_MALFORMED', 'weeks must be a whole number', { status: 400 });
    return c.json(await gateway.trends(token(c), weeks === undefined ? undefined : Number(weeks)));
  });

  app.get('/v1/admin/mcp/definitions', async (c) => {
    const state = c.req.query('state');
    if (state !== undefined && !PIN_STATES.has(state)) throw new AirlockError('ERR_REQUEST_MALFORMED', `state must be one of ${[...PIN_STATES].join(', ')}`, { status: 400 });
    return c.json({ definitions: await gateway.mcpDefinitions(token(c), state === undefined ? {} : { state: state as 'pending' | 'approved' | 'rejected' }) });
  });

  app.post('/v1/admin/mcp/definitions/decide', async (c) => {
    const body = await bodyOf(c, 'POST /v1/admin/mcp/definitions/decide');
    return c.json({ results: await gateway.decideMcpDefinitions(token(c), definitionDecisionFields(body)) });
  });

  app.get('/v1/tools', async (c) => {
    await gateway.authenticate(token(c));
    return c.json({
      tools: gateway.listTools().map((t) => ({
        name: t.name,
        description: t.description,
        side_effect: t.sideEffect,
        input_schema: t.inputSchema,
        version: t.version,
      })),
    });
  });

  mountConsole(app, gateway.config);

  app.notFound((c) => c.json({ error: { code: 'ERR_NOT_FOUND', message: 'no such route' } }, 404));

  app.onError((error, c) => {
    const failure = isAirlockError(error)
      ? error
      : new AirlockError('ERR_INTERNAL', 'internal error', { status: 500, cause: error });
    // Redacted: a driver's or an SDK's error may quote a credential it was sent or answered.
    if (failure.status >= 500) log?.error({ code: failure.code, err: loggableError(error) }, 'request failed');
    const status = failure.status as 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 500 | 502 | 503 | 504;
    if (status === 401) c.header('www-authenticate', 'Bearer realm="airlock"');
    return c.json({ error: failure.toJSON() }, status);
  });

  return app;
}

/** A `limit` query parameter: a whole number from 1 to `max` (the range the OpenAPI document gives), else 400. */
function queryLimit(value: string, max: number): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= max)) throw new AirlockError('ERR_REQUEST_MALFORMED', `limit must be a whole number from 1 to ${max}`, { status: 400 });
  return n;
}
