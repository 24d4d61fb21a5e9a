/**
 * Session content: what the gateway registers into a session's provenance, at which trust
 * tier, and the audit event that records it (hash, kind, trust, source - never the text).
 *
 * Tier of each kind of content:
 * - `user_prompt`: `user`;
 * - `system_prompt`: the most trusted tier (written by the application's developers);
 * - `tool_result`: the tool's `output_trust` - `trusted` is the most trusted tier, anything
 *   else (the default, or a tool that is not registered) the least trusted;
 * - anything else (`document`, `retrieved`, `web`, `email`, ...): the least trusted tier.
 * A caller can never raise the trust of what it registers. The session's own attributes
 * (set by the application when it created the session: the user's own address, account,
 * the ticket's customer) and the verified user id it belongs to are seeded as most-trusted
 * content whenever the session's provenance is built in a process (never logged: every
 * process derives the seed from the session record).
 *
 * Registrations are logged to the provenance store before they are indexed, and every
 * question about a session (trace, explain, names) first catches up with that log
 * (provenance/durable.ts), so a restart or another replica changes no answer. A log that
 * cannot be written or read rejects (the caller refuses: never clean).
 *
 * Untrusted content is registered with its instruction regions (context/injection.ts:
 * passages that address the model, sentences that ask for an action), found per field of
 * a tool result (one e-mail body, one message, one page) or over a registered document;
 * untrusted text that encodes data (JSON, a YAML listing: how runtimes show results to a
 * model) is indexed as that data, field by field (context/structured.ts); a
 * tool result is registered as *pointed* when trusted content named one of the call's
 * argument values (the user asked for that file, that page, that sender's mail, Bob's
 * inbox). Pointing is one hop: the page a pointed-to message links to is not pointed (an
 * attacker's link stated as data in that message would vouch for its page).
 */
import type { JsonValue } from '../core/canonical.ts';
import { AirlockError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { ArgumentTaint, AuditEventInput, Principal, RegisteredTool } from '../core/types.ts';
import type { SessionRecord } from '../sessions/index.ts';
import { injectionSignals, instructionRegions } from '../context/injection.ts';
import { structuredData } from '../context/structured.ts';
import type { ContentRegistration, DurableProvenance, InstructionRegions, ProvenanceTracker, RegisteredContent, TaintSnippet, Trace } from '../provenance/index.ts';
import { contentHash, leavesOfJson, textOfJson } from '../provenance/index.ts';
import { actorOf, refsOf, standaloneEvent } from './events.ts';

export const CONTENT_KINDS = ['user_prompt', 'system_prompt', 'tool_result', 'document', 'retrieved', 'web', 'email', 'message', 'other'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/** Largest text one registration may carry, characters. */
export const MAX_CONTENT_CHARS = 8 * 1024 * 1024;
const MAX_SOURCE_ID = 200;

export interface ContentInput {
  kind: ContentKind;
  text: string;
  source_id?: string;
  /** For `tool_result`: the tool that produced it. */
  tool?: string;
  classification?: string;
}

export interface RegisteredSessionContent extends RegisteredContent {
  kind: ContentKind;
  source_id: string | null;
  tool: string | null;
  classification: string | null;
}

export class SessionContent {
  readonly provenance: DurableProvenance;
  readonly #tools: (name: string) => RegisteredTool | undefined;

  constructor(provenance: DurableProvenance, tools: (name: string) => RegisteredTool | undefined) {
    this.provenance = provenance;
    this.#tools = tools;
  }

  /** The in-memory index (a cache of the log; ask through `trace`, `explain`, which catch it up first). */
  get tracker(): ProvenanceTracker {
    return this.provenance.tracker;
  }

  /** Tier of a piece of content (see the header). */
  tierOf(kind: ContentKind, tool?: string): string {
    const scale = this.provenance.scale;
    switch (kind) {
      case 'user_prompt':
        return 'user';
      case 'system_prompt':
        return scale.highest;
      case 'tool_result':
        return tool !== undefined && this.#tools(tool)?.outputTrust === 'trusted' ? scale.highest : scale.lowest;
      default:
        return scale.lowest;
    }
  }

  /** The session's own attributes as most-trusted content: indexed first whenever the session's provenance is built. */
  seedOf(session: SessionRecord): ContentRegistration {
    const values = [session.owner.user, ...Object.values(session.attributes).filter((v) => typeof v === 'string' || typeof v === 'number')];
    return { text: values.join('\n'), tier: this.provenance.scale.highest, sourceId: 'session.attributes' };
  }

  /** Resolves once every registration logged before this call is durable; rejects when the log could not make it so. */
  durable(): Promise<void> {
    return this.provenance.durable();
  }

  /** Catches the session's index up with the log; rejects when the log cannot be read. */
  sync(session: SessionRecord): Promise<void> {
    return this.provenance.sync(session.id, this.seedOf(session));
  }

  /** Argument provenance and labels of a call in the session (no session: nothing tainted); rejects when the log cannot be read. */
  trace(session: SessionRecord | null, args: Record<string, JsonValue>): Promise<Trace> {
    return this.provenance.trace(session?.id ?? null, args, session === null ? undefined : this.seedOf(session));
  }

  /** The taint of `args` with snippets of its sources (for a reviewer); rejects when the log cannot be read. */
  explain(session: SessionRecord | null, args: Record<string, JsonValue>): Promise<Array<ArgumentTaint & { snippets: TaintSnippet[] }>> {
    return session === null ? Promise.resolve([]) : this.provenance.explain(session.id, args, this.seedOf(session));
  }

  /**
   * Checks one piece of content and works out what its registration will be (id, hash,
   * tier, trust) without indexing it: the caller records it first, then calls `index`.
   */
  prepare(input: ContentInput, tier = this.tierOf(input.kind, input.tool)): RegisteredSessionContent {
    if (!(CONTENT_KINDS as readonly string[]).includes(input.kind)) {
      throw new AirlockError('ERR_CONTENT_MALFORMED', `kind must be one of ${CONTENT_KINDS.join(', ')}`, { status: 400 });
    }
    if (typeof input.text !== 'string' || input.text.length > MAX_CONTENT_CHARS) {
      throw new AirlockError('ERR_CONTENT_TOO_LARGE', `content must be text of at most ${MAX_CONTENT_CHARS} characters`, { status: 413 });
    }
    if (input.source_id !== undefined && (input.source_id.length === 0 || input.source_id.length > MAX_SOURCE_ID || !input.source_id.isWellFormed())) {
      throw new AirlockError('ERR_CONTENT_MALFORMED', `source_id must be 1-${MAX_SOURCE_ID} characters`, { status: 400 });
    }
    const scale = this.provenance.scale;
    if (input.classification !== undefined) scale.classificationRank(input.classification);
    return {
      content_id: newId('cnt'),
      hash: contentHash(input.text),
      trust: scale.isTrusted(tier) ? 'trusted' : 'untrusted',
      trust_tier: tier,
      chars: input.text.length,
      kind: input.kind,
      source_id: input.source_id ?? null,
      tool: input.tool ?? null,
      classification: input.classification ?? null,
    };
  }

  /**
   * Logs prepared content to the session's provenance (applied when this resolves; durable once
   * `durable()` resolves after it), then
   * indexes it. Untrusted text is searched for instruction regions: over `passages` when
   * given (the fields of a tool result), else over the whole text - read as the data it
   * encodes when it is JSON or YAML (context/structured.ts); passages carrying an injection
   * are looked for over `wholes` when given (a document read as data). Rejects, having logged
   * nothing, when the log could not be written.
   */
  async index(session: SessionRecord, prepared: RegisteredSessionContent, raw: string, options: PassageOptions = {}): Promise<void> {
    // Untrusted text that encodes data, registered as a whole (the content endpoint), is indexed as that data.
    const data = options.passages === undefined && prepared.trust === 'untrusted' ? structuredData(raw) : null;
    if (data !== null) options = { ...options, ...passagesOfText(data) };
    const text = data === null ? raw : textOfJson(data);
    const passages = options.passages ?? [text];
    const regions = prepared.trust === 'trusted' ? undefined : regionsOf(passages, options.wholes ?? passages);
    await this.provenance.append(
      session.id,
      {
        text,
        tier: prepared.trust_tier,
        contentId: prepared.content_id,
        ...(prepared.classification === null ? {} : { classification: prepared.classification }),
        ...(prepared.source_id === null ? {} : { sourceId: prepared.source_id }),
        ...(regions === undefined ? {} : { regions }),
        ...(options.pointed === true ? { pointed: true } : {}),
      },
      this.seedOf(session),
    );
  }

  /** Checks, logs and indexes one piece of content (record it: `contentEvent`). */
  async register(session: SessionRecord, input: ContentInput, tier?: string, options: PassageOptions = {}): Promise<RegisteredSessionContent> {
    const prepared = this.prepare(input, tier);
    await this.index(session, prepared, input.text, options);
    return prepared;
  }

  /**
   * Registers an executed tool's result (its keys, strings and numbers) with the tool's output
   * trust, under the call's action id. Echoes of the call's own argument values are left out:
   * they keep the provenance they had when the call was decided.
   */
  async registerResult(session: SessionRecord, tool: RegisteredTool, actionId: string, result: JsonValue, args: Record<string, JsonValue>): Promise<RegisteredSessionContent> {
    const echoes = leavesOfJson(args);
    // A result handed over as text that encodes data is indexed as that data, record by record.
    const data = typeof result === 'string' && tool.outputTrust !== 'trusted' ? structuredData(result) : null;
    const pointed = await this.provenance.names(session.id, echoes, this.seedOf(session));
    return this.register(
      session,
      { kind: 'tool_result', text: textOfJson(data ?? result, echoes), tool: tool.name, source_id: actionId },
      undefined,
      { ...(data === null ? { passages: passagesOfData(result) } : passagesOfText(data)), pointed },
    );
  }
}

/**
 * The passages of a result: its string and number leaves of 8 or more characters. They keep
 * the call's echoed arguments: cutting them would break the sentences instruction regions
 * are found in (only values tainted elsewhere are ever graded).
 */
function passagesOfData(data: unknown): string[] {
  return leavesOfJson(data).filter((leaf) => leaf.length >= 8);
}

interface PassageOptions {
  passages?: readonly string[];
  /** Where passages carrying an injection are looked for (default: `passages`). */
  wholes?: readonly string[];
  pointed?: boolean;
}

/**
 * The passages of data read out of a text: its keys and leaves (whoever wrote the text may
 * have written its keys). A list of records is what a runtime makes of a structured result
 * (one record per mail, message, event), whose fields it wrote; a single mapping may be a
 * document whose author wrote its structure too, so a value stated in one key and the
 * instructions in the next are one passage: the whole document is where an injection is
 * looked for.
 */
function passagesOfText(data: object): { passages: string[]; wholes?: string[] } {
  const passages: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      if (String(value).length >= 8) passages.push(String(value));
    } else if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        walk(key);
        walk(child);
      }
    }
  };
  walk(data);
  return Array.isArray(data) ? { passages } : { passages, wholes: [textOfJson(data)] };
}

/** Instruction regions of an untrusted text, merged (undefined when there are none): injected and directive ones over `passages`, carriers over `wholes`. */
function regionsOf(passages: readonly string[], wholes: readonly string[]): InstructionRegions | undefined {
  const injected: string[] = [];
  const directive: string[] = [];
  const carrier: string[] = [];
  for (const passage of passages) {
    const found = instructionRegions(passage);
    injected.push(...found.injected);
    directive.push(...found.directive);
    if (wholes === passages) carrier.push(...found.carrier);
  }
  if (wholes !== passages) for (const whole of wholes) if (injectionSignals(whole).length > 0) carrier.push(whole);
  return injected.length === 0 && directive.length === 0 && carrier.length === 0 ? undefined : { injected, directive, carrier };
}

/** What the audit log keeps of a registration. */
export function contentEventData(content: RegisteredSessionContent): JsonValue {
  return {
    content_id: content.content_id,
    kind: content.kind,
    hash: content.hash,
    chars: content.chars,
    trust: content.trust,
    trust_tier: content.trust_tier,
    source_id: content.source_id,
    tool: content.tool,
    classification: content.classification,
  };
}

/** The `content.registered` event of a registration made through the content endpoint. */
export function contentEvent(principal: Principal, sessionId: string, content: RegisteredSessionContent, runtime: { modelId: string | null; configId: string | null }): AuditEventInput {
  return standaloneEvent('content.registered', actorOf(principal), contentEventData(content), {
    session_id: sessionId,
    model_id: runtime.modelId,
    runtime_config_id: runtime.configId,
    ...refsOf(content.content_id),
  });
}
