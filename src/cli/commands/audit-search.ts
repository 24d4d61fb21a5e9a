/**
 * `airlock audit search`, `airlock audit tail` and `airlock audit export`: read a config's
 * audit log directly (an operator with access to its files, like `audit trace`), find events
 * by time, tenant, user, agent, tool, type, outcome and rule, follow new ones as they are
 * committed, and export the log as JSON Lines exactly as stored (re-verifiable with
 * `airlock audit verify --jsonl FILE`).
 */
import { createWriteStream } from 'node:fs';
import type { Command } from 'commander';
import type { WriteStream } from 'node:fs';
import type { AuditEvent } from '../../core/types.ts';
import type { AuditLogReader, AuditSearchQuery } from '../../pipeline/index.ts';
import { SEARCH_MAX_LIMIT, eventRow, exportLine, openAuditLog, searchPageJson, searchQueryFromParams } from '../../pipeline/index.ts';
import { CliExit, loadConfigOrExit } from '../config-loading.ts';
import { outcomeLabel, printJson, printable, table } from '../output.ts';

const FILTERS = ['from', 'to', 'tenant', 'user', 'agent', 'tool', 'type', 'outcome', 'rule'] as const;

/** The filter flags every command here takes: the query's filters, as given on the command line. */
export type AuditFilterOptions = Pick<AuditSearchQuery, (typeof FILTERS)[number]>;

/** The filters of the options as a search query (checked like the HTTP parameters). */
export function filtersOf(options: AuditFilterOptions, extra: Record<string, string | undefined> = {}): AuditSearchQuery {
  const params: Record<string, string | undefined> = { ...extra };
  for (const name of FILTERS) if (options[name] !== undefined) params[name] = options[name];
  return searchQueryFromParams(params);
}

const HEADERS = ['SEQ', 'TIME', 'TYPE', 'ACTOR', 'TOOL', 'OUTCOME', 'RULE', 'REQUEST'];

function cells(event: AuditEvent): string[] {
  const row = eventRow(event);
  return [row.seq, row.time, row.type, row.actor, row.tool, row.outcome === '-' ? '-' : outcomeLabel(row.outcome), row.rule, row.request];
}

async function withLog<T>(config: string, body: (log: AuditLogReader) => Promise<T>): Promise<T> {
  const log = await openAuditLog(await loadConfigOrExit(config));
  try {
    return await body(log);
  } finally {
    await log.close();
  }
}

/**
 * Up to `limit` matching events from the cursor, paging through the log (one search call
 * examines a bounded window, so a page can be short while more follow).
 */
async function collect(log: AuditLogReader, query: AuditSearchQuery, limit: number): Promise<{ events: AuditEvent[]; nextAfterSeq: number | null }> {
  const events: AuditEvent[] = [];
  let afterSeq = query.afterSeq;
  for (;;) {
    const page = await log.search({ ...query, ...(afterSeq === undefined ? {} : { afterSeq }), limit: limit - events.length });
    events.push(...page.events);
    if (page.nextAfterSeq === null || events.length >= limit) return { events, nextAfterSeq: page.nextAfterSeq };
    afterSeq = page.nextAfterSeq;
  }
}

function limitOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > SEARCH_MAX_LIMIT) throw new CliExit(2, `--limit must be an integer from 1 to ${SEARCH_MAX_LIMIT}`);
  return Number(text);
}

export async function auditSearchCommand(
  options: AuditFilterOptions & { config: string; json?: boolean; limit?: string; afterSeq?: string; order?: string },
): Promise<void> {
  const query = filtersOf(options, { after_seq: options.afterSeq, order: options.order });
  const limit = limitOf(options.limit, 100);
  await withLog(options.config, async (log) => {
    const page = await collect(log, query, limit);
    if (options.json === true) {
      printJson(searchPageJson(page));
      return;
    }
    process.stdout.write(`${table(HEADERS, page.events.map(cells))}\n`);
    const more = page.nextAfterSeq === null ? '' : `; more with --after-seq ${page.nextAfterSeq}`;
    process.stdout.write(`${page.events.length} event${page.events.length === 1 ? '' : 's'}${more}\n`);
  });
}

const POLL_MS = 500;

/**
 * The last `lines` matching events (oldest of them first); with `follow`, then every event
 * committed after that as it arrives (polling by seq every 500 ms) until SIGINT/SIGTERM.
 */
export async function auditTailCommand(options: AuditFilterOptions & { config: string; json?: boolean; follow?: boolean; lines?: string }): Promise<void> {
  const query = filtersOf(options);
  const lines = limitOf(options.lines, 20);
  const print = (event: AuditEvent) => process.stdout.write(options.json === true ? `${exportLine(event)}\n` : `${cells(event).map((cell) => printable(cell)).join('  ')}\n`);
  await withLog(options.config, async (log) => {
    // The head when we start: everything after it is new.
    const [last] = await lastEvent(log);
    const recent = await collect(log, { ...query, order: 'newest' }, lines);
    if (options.json !== true) process.stdout.write(`${HEADERS.join('  ')}\n`);
    for (const event of recent.events.reverse()) print(event);
    if (options.follow !== true) return;
    let cursor = last?.seq ?? 0;
    let stopped = false;
    let wake: (() => void) | null = null;
    const stop = () => {
      stopped = true;
      wake?.();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      while (!stopped) {
        // Every seq up to `head` gets examined below (the search runs to the head it sees, which
        // is at least this one), so the next poll starts after it or after the last event printed.
        const head = (await lastEvent(log))[0]?.seq ?? cursor;
        let afterSeq = cursor;
        for (;;) {
          const page = await log.search({ ...query, afterSeq, limit: SEARCH_MAX_LIMIT });
          for (const event of page.events) print(event);
          cursor = Math.max(cursor, page.events.at(-1)?.seq ?? cursor);
          if (page.nextAfterSeq === null) break;
          afterSeq = page.nextAfterSeq;
        }
        cursor = Math.max(cursor, head);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

/** The last committed event (newest-first search without filters). */
async function lastEvent(log: AuditLogReader): Promise<AuditEvent[]> {
  return (await log.search({ order: 'newest', limit: 1 })).events;
}

/** `--format jsonl`: the log (or the events of a time range) one event per line, exactly as stored. */
export async function auditExportCommand(options: { config: string; format?: string; from?: string; to?: string; out?: string }): Promise<void> {
  if ((options.format ?? 'jsonl') !== 'jsonl') throw new CliExit(2, 'only --format jsonl is supported');
  const query = filtersOf({ ...(options.from === undefined ? {} : { from: options.from }), ...(options.to === undefined ? {} : { to: options.to }) });
  await withLog(options.config, async (log) => {
    const out: WriteStream | NodeJS.WriteStream = options.out === undefined ? process.stdout : createWriteStream(options.out, { flags: 'wx', mode: 0o600 });
    const write = (text: string) =>
      new Promise<void>((resolve, reject) => {
        if (out.write(text)) resolve();
        else out.once('drain', resolve).once('error', reject);
      });
    let count = 0;
    let first: number | null = null;
    let lastSeq: number | null = null;
    let afterSeq: number | undefined;
    try {
      for (;;) {
        const page = await log.search({ ...query, ...(afterSeq === undefined ? {} : { afterSeq }), limit: SEARCH_MAX_LIMIT });
        let chunk = '';
        for (const event of page.events) {
          chunk += `${exportLine(event)}\n`;
          first ??= event.seq;
          lastSeq = event.seq;
          count++;
        }
        if (chunk !== '') await write(chunk);
        if (page.nextAfterSeq === null) break;
        afterSeq = page.nextAfterSeq;
      }
    } finally {
      if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
    }
    const range = first === null ? '' : ` (seq ${first}..${lastSeq})`;
    process.stderr.write(`exported ${count} event${count === 1 ? '' : 's'}${range}${options.out === undefined ? '' : ` to ${options.out}`}\n`);
  });
}

function withFilters(command: Command): Command {
  return command
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--from <time>', 'events at or after this ISO time')
    .option('--to <time>', 'events before this ISO time')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--user <user>', 'only this user')
    .option('--agent <agent>', 'only this agent')
    .option('--tool <tool>', 'only this tool')
    .option('--type <type>', 'only this event type (decision, intent, result, approval.approved, ...)')
    .option('--outcome <outcome>', 'only this decision outcome (allow, deny, approval_required)')
    .option('--rule <policy-id>', "only decisions with this policy among their reasons")
    .option('--json', 'machine-readable output');
}

/** `audit search`, `audit tail`, `audit export` under the `audit` command. */
export function registerAuditSearchCommands(audit: Command): void {
  withFilters(audit.command('search').description('find audit events by time, tenant, user, agent, tool, type, outcome and rule'))
    .option('--limit <n>', `most events to print (1..${SEARCH_MAX_LIMIT})`, '100')
    .option('--after-seq <seq>', 'continue after this seq (the cursor printed by the previous search)')
    .option('--order <order>', 'oldest (default) or newest first')
    .action(auditSearchCommand);
  withFilters(audit.command('tail').description('the last matching events; with --follow, new ones as they are committed (Ctrl-C stops)'))
    .option('--lines <n>', 'how many recent events to print first', '20')
    .option('--follow', 'keep printing new events (polls every 500 ms)')
    .action(auditTailCommand);
  audit
    .command('export')
    .description('write the log (or a time range of it) one event per line exactly as stored; re-verify with `audit verify --jsonl FILE`')
    .requiredOption('--config <file>', 'airlock.yaml')
    .option('--format <format>', 'jsonl', 'jsonl')
    .option('--from <time>', 'events at or after this ISO time')
    .option('--to <time>', 'events before this ISO time')
    .option('--out <file>', 'write here (created; never overwritten) instead of stdout')
    .action(auditExportCommand);
}
