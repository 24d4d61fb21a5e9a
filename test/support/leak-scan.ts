/**
 * Suite-wide secret scan. While the test suite runs (with AIRLOCK_LEAK_SCAN_DIR set by
 * scripts/test-run.ts), the fixtures record every HTTP response body and log line they see,
 * the path of every audit and state database they create, and every secret value in play:
 * signing keys, dev-token keys, webhook secrets, bearer tokens, credentials an upstream
 * received, approval tokens. After the run, `scanLeaks` reads every row of every recorded
 * database and every recorded output and reports any secret value found where it must never
 * be. The only exceptions are the documented channels: an approval token in the HTTP answer
 * that hands it to its requester.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export type OutputKind = 'http' | 'log';

type Entry =
  | { t: 'secret'; label: string; value: string; allowed: OutputKind[] }
  | { t: 'output'; kind: OutputKind; source: string; text: string }
  | { t: 'db'; path: string };

const DIR = process.env.AIRLOCK_LEAK_SCAN_DIR;
/** Shorter values are not distinctive enough to scan for. */
const MIN_SECRET_LENGTH = 16;

function write(entry: Entry): void {
  if (DIR === undefined) return;
  appendFileSync(join(DIR, `${process.pid}.jsonl`), `${JSON.stringify(entry)}\n`);
}

/** A value that must never appear in an HTTP response, a log line or a stored row (except in `allowed` outputs). */
export function recordSecret(label: string, value: string | undefined, allowed: OutputKind[] = []): void {
  if (value === undefined || value.trim().length < MIN_SECRET_LENGTH) return;
  write({ t: 'secret', label, value: value.trim(), allowed });
}

export function recordOutput(kind: OutputKind, source: string, text: string): void {
  if (text !== '') write({ t: 'output', kind, source, text });
}

/** An audit or state database whose every row is scanned after the run. */
export function recordDatabase(path: string): void {
  write({ t: 'db', path });
}

/** Every `*.key` file in a directory (the keys the gateway created there) is a secret. */
export function recordKeyFiles(dir: string): void {
  if (DIR === undefined || !existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.key')) recordSecret(`key file ${name}`, readFileSync(join(dir, name), 'utf8'));
  }
}

export interface Leak {
  secret: string;
  where: string;
}

export interface ScanReport {
  secrets: number;
  httpResponses: number;
  logLines: number;
  databases: number;
  rows: number;
  leaks: Leak[];
}

/**
 * What to look for: the value, its URL-encoded form (a query string, a URL a message quotes),
 * its form inside a JSON string (a stored row, a log line), and for a JWT also its signature alone.
 */
function needles(value: string): string[] {
  const parts = value.split('.');
  const signature = parts.length === 3 ? parts[2] : undefined;
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  if (signature !== undefined && signature.length >= MIN_SECRET_LENGTH) forms.add(signature);
  return [...forms];
}

function rowsOf(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
    const rows: string[] = [];
    for (const { name } of tables) {
      for (const row of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).all()) {
        rows.push(JSON.stringify(row, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : typeof v === 'bigint' ? v.toString() : v)));
      }
    }
    return rows;
  } finally {
    db.close();
  }
}

export function scanLeaks(dir: string): ScanReport {
  const secrets = new Map<string, { label: string; allowed: Set<OutputKind> }>();
  const outputs: Array<{ kind: OutputKind; source: string; text: string }> = [];
  const databases = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      const entry = JSON.parse(line) as Entry;
      if (entry.t === 'secret') {
        const known = secrets.get(entry.value);
        // A value recorded twice is allowed only where every recording allows it.
        if (known === undefined) secrets.set(entry.value, { label: entry.label, allowed: new Set(entry.allowed) });
        else for (const kind of known.allowed) if (!entry.allowed.includes(kind)) known.allowed.delete(kind);
      } else if (entry.t === 'output') {
        outputs.push(entry);
      } else if (existsSync(entry.path) && statSync(entry.path).isFile()) {
        // A database a test replaced by a directory on purpose (a destroyed audit log) has no rows to scan.
        databases.add(entry.path);
      }
    }
  }
  const leaks: Leak[] = [];
  const check = (text: string, where: string, kind: OutputKind | 'row') => {
    for (const [value, { label, allowed }] of secrets) {
      if (kind !== 'row' && allowed.has(kind)) continue;
      if (needles(value).some((n) => text.includes(n))) leaks.push({ secret: label, where });
    }
  };
  for (const o of outputs) check(o.text, `${o.kind} ${o.source}`, o.kind);
  let rows = 0;
  for (const path of databases) {
    for (const row of rowsOf(path)) {
      rows++;
      check(row, `row of ${path}`, 'row');
    }
  }
  return {
    secrets: secrets.size,
    httpResponses: outputs.filter((o) => o.kind === 'http').length,
    logLines: outputs.filter((o) => o.kind === 'log').reduce((n, o) => n + o.text.split('\n').filter((l) => l !== '').length, 0),
    databases: databases.size,
    rows,
    leaks,
  };
}
