/**
 * Benchmark of argument provenance (ProvenanceTracker.trace, what the pipeline's trace
 * phase calls) with 1 MB of untrusted content registered to the session.
 *
 * The session holds a user prompt and 1 MiB of untrusted text in 64 documents of 16 KiB
 * (email threads, invoices and web pages: prose from a 2,000-word vocabulary with emails,
 * IBANs, URLs, phone numbers, invoice ids, amounts and file paths mixed in). Calls cycle
 * through 64 argument sets shaped like real tool calls (email.send, a payment, a file
 * share, a calendar invite, a search) - about a third of their values come from the
 * untrusted documents (tainted), the rest from the user prompt or nowhere.
 *
 * Figures: p50/p99/mean of one trace call; registration time and heap per MB; tainted
 * calls in the mix. Run directly (`node bench/provenance.bench.ts [iterations]`) or import
 * `run`.
 */
import { fileURLToPath } from 'node:url';
import type { JsonValue } from '../src/core/canonical.ts';
import { ProvenanceTracker } from '../src/provenance/index.ts';
import { summarize } from './stats.ts';

export interface ProvenanceBenchResult {
  name: string;
  untrusted_bytes: number;
  documents: number;
  iterations: number;
  p50_us: number;
  p99_us: number;
  mean_us: number;
  /** Registering the 1 MB (entity and shingle indexes), milliseconds. */
  register_ms: number;
  /** Heap growth after registering, MB. */
  heap_mb: number;
  /** Share of the argument sets with at least one tainted argument. */
  tainted_share: number;
}

let seed = 42;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

const SYLLABLES = ['ka', 'lo', 'mi', 'ter', 'son', 'ra', 'vel', 'dan', 'ex', 'pro', 'tion', 'ment', 'ing', 'er', 'al', 'co', 'ne', 'ri', 'sta', 'port'];
const VOCABULARY = Array.from({ length: 2000 }, () => Array.from({ length: int(1, 4) }, () => pick(SYLLABLES)).join(''));
const COMMON = ['the', 'a', 'to', 'of', 'and', 'in', 'for', 'on', 'with', 'please', 'your', 'we', 'is', 'this'];

const email = () => `${pick(VOCABULARY)}.${pick(VOCABULARY)}${int(1, 999)}@${pick(VOCABULARY)}-mail.example`;
const iban = () => `DE${int(10, 99)} ${int(1000, 9999)} ${int(1000, 9999)} ${int(1000, 9999)} ${int(1000, 9999)} ${int(10, 99)}`;
const url = () => `https://www.${pick(VOCABULARY)}${int(1, 99)}.example/${pick(VOCABULARY)}/${int(100, 99999)}`;
const phone = () => `+${int(1, 49)} (${int(100, 999)}) ${int(100, 999)}-${int(1000, 9999)}`;
const invoice = () => `INV-${int(2020, 2026)}-${int(10000, 99999)}`;
const amount = () => `${int(1, 99)},${int(100, 999)}.${int(10, 99)}`;
const path = () => `/shared/${pick(VOCABULARY)}/${pick(VOCABULARY)}-${int(1, 500)}.pdf`;
const ENTITY = [email, iban, url, phone, invoice, amount, path];

function sentence(entities: string[]): string {
  const words: string[] = [];
  const n = int(6, 22);
  for (let i = 0; i < n; i++) {
    if (random() < 0.06) {
      const e = pick(ENTITY)();
      entities.push(e);
      words.push(e);
    } else words.push(random() < 0.35 ? pick(COMMON) : pick(VOCABULARY));
  }
  return `${words.join(' ')}.`;
}

function document(bytes: number, entities: string[]): string {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const s = sentence(entities);
    parts.push(s);
    size += s.length + 1;
  }
  return parts.join(random() < 0.1 ? '\n\n' : ' ').slice(0, bytes);
}

function argumentSets(untrusted: string[], prompt: { email: string; iban: string; url: string }): Array<Record<string, JsonValue>> {
  const fromDocs = () => pick(untrusted);
  const userText = () => Array.from({ length: int(8, 40) }, () => (random() < 0.35 ? pick(COMMON) : pick(VOCABULARY))).join(' ');
  const sets: Array<Record<string, JsonValue>> = [];
  for (let i = 0; i < 64; i++) {
    const tainted = i % 3 === 0;
    switch (i % 5) {
      case 0:
        sets.push({ to: tainted ? fromDocs() : prompt.email, cc: [prompt.email], subject: userText().slice(0, 60), body: `${userText()} ${tainted ? fromDocs() : ''} ${userText()}` });
        break;
      case 1:
        sets.push({ recipient: tainted ? fromDocs() : prompt.iban, amount: tainted ? 1234.5 : 250, subject: userText().slice(0, 40), date: '2026-03-01' });
        break;
      case 2:
        sets.push({ file: { path: tainted ? fromDocs() : '/home/me/report.pdf', share_with: prompt.email }, message: userText() });
        break;
      case 3:
        sets.push({ title: userText().slice(0, 50), participants: [prompt.email, tainted ? fromDocs() : prompt.email], location: tainted ? fromDocs() : 'Room 4', description: userText() });
        break;
      default:
        sets.push({ query: tainted ? fromDocs() : userText().slice(0, 80), url: tainted ? fromDocs() : prompt.url, limit: 20 });
    }
  }
  return sets;
}

export async function run(opts: { iterations: number; bytes?: number }): Promise<ProvenanceBenchResult> {
  const bytes = opts.bytes ?? 1024 * 1024;
  const documents = 64;
  const untrustedEntities: string[] = [];
  const texts = Array.from({ length: documents }, () => document(bytes / documents, untrustedEntities));
  const prompt = { email: email(), iban: iban(), url: url() };

  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const tracker = new ProvenanceTracker();
  const started = performance.now();
  tracker.register('ses_bench', { text: `Please pay ${prompt.iban}, mail ${prompt.email} and see ${prompt.url}`, tier: 'user' });
  texts.forEach((text, i) => tracker.register('ses_bench', { text, tier: 'external', sourceId: `doc-${i}` }));
  const registerMs = performance.now() - started;
  globalThis.gc?.();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;

  const sets = argumentSets(untrustedEntities, prompt);
  const tainted = sets.filter((args) => tracker.trace('ses_bench', args).taint.length > 0).length;
  for (let i = 0; i < 2000; i++) tracker.trace('ses_bench', sets[i % sets.length] as Record<string, JsonValue>);
  const samples: number[] = [];
  for (let i = 0; i < opts.iterations; i++) {
    const args = sets[i % sets.length] as Record<string, JsonValue>;
    const t0 = process.hrtime.bigint();
    tracker.trace('ses_bench', args);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const s = summarize(samples);
  return {
    name: 'provenance.trace (1 MB untrusted in the session)',
    untrusted_bytes: texts.reduce((n, t) => n + t.length, 0),
    documents,
    iterations: opts.iterations,
    p50_us: s.p50_us,
    p99_us: s.p99_us,
    mean_us: s.mean_us,
    register_ms: Math.round(registerMs),
    heap_mb: Math.round(heapMb * 10) / 10,
    tainted_share: Math.round((tainted / sets.length) * 100) / 100,
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await run({ iterations: Number(process.argv[2] ?? 20000) });
  console.log(JSON.stringify(result, null, 2));
}
