/**
 * Audit access for the doors: parsing a search from HTTP query parameters or CLI flags,
 * exporting the log as JSON Lines (one event per line, the canonical JSON of the event as
 * stored, hash included) and verifying such an export with the same chain check as the log
 * (each line exactly canonical; heads recorded outside the host held against it when given).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AirlockError } from '../core/errors.ts';
import type { AuditEvent } from '../core/types.ts';
import type { AuditSearchPage, AuditSearchQuery, ChainHead, VerifyReport } from '../audit/index.ts';
import { GENESIS_HASH, SEARCH_MAX_LIMIT, canonicalEventLine, outcomeOf, rulesOf, verifyChain } from '../audit/index.ts';

export { SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, SEARCH_OUTCOMES, outcomeOf, rulesOf } from '../audit/index.ts';
export type { AuditSearchPage, AuditSearchQuery } from '../audit/index.ts';

/** Query parameters of GET /v1/audit/events (and the CLI's filter flags). */
export const SEARCH_PARAMS = ['from', 'to', 'tenant', 'user', 'agent', 'tool', 'type', 'outcome', 'rule', 'after_seq', 'limit', 'order'] as const;

function invalid(message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_SEARCH_INVALID', message, { status: 400 });
}

function integerOf(value: string, name: string): number {
  if (!/^\d{1,15}$/.test(value)) throw invalid(`${name} must be a non-negative integer`);
  return Number(value);
}

/**
 * A search from string parameters (`after_seq`, `limit`, `order` = oldest|newest, the filters).
 * Unknown parameters are refused (a misspelt filter must not silently widen the search).
 */
export function searchQueryFromParams(params: Readonly<Record<string, string | undefined>>): AuditSearchQuery {
  const query: AuditSearchQuery = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (!(SEARCH_PARAMS as readonly string[]).includes(name)) throw invalid(`unknown search parameter ${JSON.stringify(name.slice(0, 40))}`);
    if (name === 'after_seq') query.afterSeq = integerOf(value, name);
    else if (name === 'limit') {
      query.limit = integerOf(value, name);
      if (query.limit > SEARCH_MAX_LIMIT) throw invalid(`limit must be at most ${SEARCH_MAX_LIMIT}`);
    } else if (name === 'order') {
      if (value !== 'oldest' && value !== 'newest') throw invalid('order must be oldest or newest');
      query.order = value;
    } else query[name as 'from' | 'to' | 'tenant' | 'user' | 'agent' | 'tool' | 'type' | 'outcome' | 'rule'] = value;
  }
  return query;
}

/** The HTTP / `--json` shape of a page. */
export function searchPageJson(page: AuditSearchPage): { events: AuditEvent[]; next_after_seq: number | null } {
  return { events: page.events, next_after_seq: page.nextAfterSeq };
}

/** One export line: the event's canonical JSON (what the hash covers, plus the hash). */
export function exportLine(event: AuditEvent): string {
  return canonicalEventLine(event);
}

/** The table row fields of an event (CLI output). */
export function eventRow(event: AuditEvent): { seq: string; time: string; type: string; actor: string; tool: string; outcome: string; rule: string; request: string } {
  // A tombstone (retention) says so: in its type, and where its user was removed.
  const user = event.actor.user ?? (event.pruned?.classes.includes('identity') === true ? '[pruned]' : '-');
  const actor = `${event.actor.tenant ?? '-'}/${user}${event.actor.agent === null ? '' : ` via ${event.actor.agent}`}`;
  return {
    seq: String(event.seq),
    time: event.ts,
    type: event.pruned === undefined ? event.type : `${event.type} (pruned)`,
    actor,
    tool: event.tool ?? '-',
    outcome: outcomeOf(event) ?? '-',
    rule: rulesOf(event).join(',') || '-',
    request: event.request_id,
  };
}

function corrupt(seq: number, message: string): AirlockError {
  return new AirlockError('ERR_AUDIT_CORRUPT', message, { status: 500, details: { seq } });
}

function isCanonicalLine(event: unknown, line: string): boolean {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return true; // left to the chain check (malformed)
  try {
    return canonicalEventLine(event as AuditEvent) === line;
  } catch {
    return false;
  }
}

async function* jsonlEvents(path: string, onFirst: (event: AuditEvent) => void): AsyncGenerator<AuditEvent> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lastSeq = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      throw corrupt(lastSeq + 1, `line ${lineNo} of ${path} is not JSON`);
    }
    const seq = (event as { seq?: unknown } | null)?.seq;
    if (lastSeq === 0 && typeof seq === 'number') onFirst(event as AuditEvent);
    // A line must be exactly what export writes (the canonical JSON), as a stored body must be:
    // a rewrite that parses to the same event (a duplicate key read differently by another
    // parser, spacing, escapes) is an edit too.
    if (!isCanonicalLine(event, line)) throw corrupt(lastSeq + 1, `line ${lineNo} of ${path} is not the canonical json of its event`);
    lastSeq = typeof seq === 'number' ? seq : lastSeq + 1;
    yield event as AuditEvent;
  }
}

/**
 * Verifies an exported JSONL file with the log's chain check. A file starting at seq 1 is
 * checked from genesis; one starting later (a time-range export) is checked from its first
 * event's prev_hash: every link inside the file holds, and `from_seq` says where it starts.
 * Every line must be the canonical JSON of its event, as export writes it (otherwise the line is
 * reported `malformed`, like a stored body that is not canonical).
 * Pruned events are vouched for by the prune records in the file; `unvouched` counts those
 * whose record lies after the file's last event, and `unvouchedSeqs` names them (a reader of a
 * partial export checks those lines against another copy of the log: the file cannot).
 *
 * `expect`: heads recorded outside the host (`audit verify --anchor`). The file must hold each
 * one — the same hash at that seq, or as its first prev_hash for the seq just before it — and
 * must not end before it; a head before that, which the file cannot show, fails too.
 */
export async function verifyJsonlExport(path: string, options: { expect?: readonly ChainHead[] } = {}): Promise<VerifyReport & { from_seq: number | null }> {
  // The first event is needed before verifying it (its prev_hash anchors a partial export): read it first.
  let first: AuditEvent | null = null;
  const peek = jsonlEvents(path, (event) => {
    first = event;
  });
  try {
    await peek.next();
  } catch (error) {
    if (!(error instanceof AirlockError)) throw error;
  } finally {
    await peek.return(undefined);
  }
  const start = first as AuditEvent | null;
  const segment: ChainHead | null =
    start !== null && Number.isSafeInteger(start.seq) && start.seq > 1 && typeof start.prev_hash === 'string' ? { seq: start.seq - 1, hash: start.prev_hash } : null;
  const anchor = segment === null ? {} : { anchor: segment };
  const expect = options.expect ?? [];
  if (segment !== null) {
    // The chain check sees only the file's own events: the heads at or before its start are checked here.
    const { seq: before, hash } = segment;
    const failed = (seq: number, reason: 'truncated' | 'checkpoint_mismatch', message: string) =>
      ({ ok: false, checked: 0, head: null, firstBad: { seq, reason, message }, from_seq: before + 1 }) as const;
    for (const head of expect) {
      if (head.seq < before) return failed(head.seq, 'truncated', `the export starts at seq ${before + 1}, after the head expected at seq ${head.seq}: it cannot show it`);
      if (head.seq === before && head.hash !== hash) return failed(head.seq, 'checkpoint_mismatch', `the first prev_hash of the export differs from the head expected at seq ${head.seq}`);
    }
  }
  // A time-range export may stop before the prune records of its tombstones: those are counted (unvouched), not failed.
  const report = await verifyChain(jsonlEvents(path, () => undefined), { ...anchor, openEnd: true, expect });
  return { ...report, from_seq: start?.seq ?? null };
}

const ANCHOR = /^(\d{1,15}):(genesis|sha256:[0-9a-f]{64})$/;

/** An outside head as `audit verify --anchor` takes it: `seq:sha256:<64 hex>` (or `0:genesis`); ERR_AUDIT_ANCHOR otherwise. */
export function parseAnchor(text: string): ChainHead {
  const match = ANCHOR.exec(text.trim());
  if (match === null) {
    throw new AirlockError('ERR_AUDIT_ANCHOR', `anchor ${JSON.stringify(text.slice(0, 100))} is not seq:sha256:<64 hex> (or 0:genesis)`, { status: 400 });
  }
  return { seq: Number(match[1]), hash: match[2] === 'genesis' ? GENESIS_HASH : (match[2] as string) };
}
