/**
 * The context gateway wired to a session: checks the request envelope, assembles (src/context),
 * records the manifest (and an abuse alert when the session crosses the threshold) in the
 * audit log, then makes the manifest the session's latest and registers every admitted chunk
 * as session content at its source's tier - so argument provenance sees what the model saw.
 */
import type { JsonValue } from '../core/canonical.ts';
import type { Clock } from '../core/clock.ts';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { AuditEventInput, Principal } from '../core/types.ts';
import type { AuditStore } from '../audit/index.ts';
import type { SessionRecord } from '../sessions/index.ts';
import type { ContextConfig } from '../config/types.ts';
import type { ContextManifest } from '../context/index.ts';
import { ContextAssembler, ContextSessions } from '../context/index.ts';
import type { SessionContent } from './content.ts';
import { refsOf } from './events.ts';

const MAX_CHUNKS = 1000;
const MAX_USE_CASE = 200;

export interface AssembleContextInput {
  session_id: string;
  use_case: string;
  chunks: unknown[];
  budget?: number;
}

export interface AssembleContextResponse {
  manifest_hash: string;
  manifest: ContextManifest;
  /** The assembled, spotlighted context to put in the prompt. */
  context: string;
  /** True when this assembly raised a `context.abuse_alert`. */
  alert: boolean;
}

function checkEnvelope(input: AssembleContextInput): void {
  const bad = (message: string) => new AirlockError('ERR_CONTEXT_MALFORMED', message, { status: 400 });
  if (typeof input.use_case !== 'string' || input.use_case.length === 0 || input.use_case.length > MAX_USE_CASE || !input.use_case.isWellFormed()) {
    throw bad(`use_case must be a string of 1-${MAX_USE_CASE} characters`);
  }
  if (!Array.isArray(input.chunks) || input.chunks.length > MAX_CHUNKS) throw bad(`chunks must be an array of at most ${MAX_CHUNKS}`);
  if (input.budget !== undefined && (!Number.isSafeInteger(input.budget) || input.budget < 0)) throw bad('budget must be a non-negative integer');
}

export class SessionContextGateway {
  readonly assembler: ContextAssembler;
  readonly sessions: ContextSessions;
  readonly #audit: AuditStore;
  readonly #content: SessionContent;
  readonly #runtime: { modelId: string | null; configId: string | null };

  constructor(config: ContextConfig, deps: { clock: Clock; audit: AuditStore; content: SessionContent; runtime: { modelId: string | null; configId: string | null } }) {
    this.assembler = new ContextAssembler(config, deps.clock);
    this.sessions = new ContextSessions(deps.clock, config.alerts);
    this.#audit = deps.audit;
    this.#content = deps.content;
    this.#runtime = deps.runtime;
  }

  manifestHash(sessionId: string): string | undefined {
    return this.sessions.manifestHash(sessionId);
  }

  async assemble(principal: Principal, session: SessionRecord, input: AssembleContextInput): Promise<AssembleContextResponse> {
    checkEnvelope(input);
    const assembly = this.assembler.assemble({
      session_id: session.id,
      use_case: input.use_case,
      chunks: input.chunks,
      ...(input.budget === undefined ? {} : { budget: input.budget }),
    });
    const check = this.sessions.countSignals(session.id, assembly.abuse_signals);
    const requestId = newId('req');
    const traceId = newId('trc');
    const event = (type: string, data: JsonValue): AuditEventInput => ({
      type,
      request_id: requestId,
      trace_id: traceId,
      session_id: session.id,
      action_id: null,
      parent_action_id: null,
      actor: { user: principal.user, tenant: principal.tenant, roles: principal.roles, agent: principal.agent ?? null },
      model_id: this.#runtime.modelId,
      runtime_config_id: this.#runtime.configId,
      context_manifest_hash: assembly.manifest_hash,
      data,
      ...refsOf(assembly.manifest.manifest_id, assembly.manifest_hash),
    });
    const events = [event('context.assembled', JSON.parse(JSON.stringify(assembly.manifest)) as JsonValue)];
    if (check.alert) {
      events.push(
        event('context.abuse_alert', {
          use_case: input.use_case,
          signals_in_window: check.count,
          rejected: assembly.manifest.rejected,
          rule_ids: [...new Set(assembly.manifest.chunks.flatMap((c) => [...(c.rule_id === undefined ? [] : [c.rule_id]), ...c.flags.map((f) => f.rule_id)]))].sort(),
        }),
      );
    }
    // On the record before the manifest or its chunks can change any decision.
    await this.#audit.append(events);
    this.sessions.setManifest(session.id, assembly.manifest_hash);
    for (const chunk of assembly.admitted) {
      await this.#content.register(
        session,
        { kind: 'retrieved', text: chunk.text, source_id: chunk.source_id, classification: chunk.classification },
        chunk.trust_tier,
      );
    }
    // The chunks' provenance durable before the context is handed over.
    await this.#content.durable();
    return { manifest_hash: assembly.manifest_hash, manifest: assembly.manifest, context: assembly.context, alert: check.alert };
  }
}
