/**
 * `audit verify --jsonl`: an exported file verifies only as it was written. Besides the chain
 * (an edited value, a dropped or moved line), a line rewritten so that it parses to the same
 * event — a duplicate key that a first-wins reader takes for the value, spacing, escapes — is
 * an edit: it is reported `malformed` at its seq, as a non-canonical stored body is. Heads
 * recorded outside the host (`--anchor`) are held against the file as against a log: a tail
 * rewritten with recomputed hashes, or a file cut before an anchored head, fails.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import fc from 'fast-check';
import { hashEvent } from '../audit/chain.ts';
import type { AuditEvent } from '../core/types.ts';
import { MemoryAuditStore } from '../audit/memory-store.ts';
import { sampleEventInput } from '../audit/store.contract.ts';
import { exportLine, parseAnchor, verifyJsonlExport } from './audit-access.ts';

const dir = mkdtempSync(join(tmpdir(), 'airlock-jsonl-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function fileOf(lines: readonly string[]): string {
  const path = join(dir, `export-${++files}.jsonl`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function exported(n: number): Promise<string[]> {
  const store = new MemoryAuditStore({ clock: { now: () => Date.parse('2026-03-01T10:00:00Z') } });
  for (let i = 0; i < n; i++) {
    const outcome = i % 3 === 1 ? 'deny' : 'allow';
    await store.append([sampleEventInput({ decision: { outcome, code: `policy.${outcome}`, reasons: [{ policy_id: 'p', effect: 'permit' }] } })]);
  }
  return (await store.read({ fromSeq: 1, limit: n })).map(exportLine);
}

/** Rewrites of a line that JSON.parse reads as the very same event. */
const REWRITES: Record<string, (line: string) => string> = {
  // A first-wins parser (or a grep) reads "allow"; JSON.parse keeps the last value, the real one.
  'shadowing duplicate key': (line) => line.replace('"decision":{', '"decision":{"outcome":"allow",'),
  'spacing': (line) => line.replace('"type":', '"type": '),
  'indentation': (line) => JSON.stringify(JSON.parse(line), null, 1).replace(/\n/g, ' '),
  'escaped character': (line) => line.replace('"type":"', '"\\u0074ype":"'),
};

it('verify --jsonl: an intact export (whole or from a later seq) verifies', async () => {
  const lines = await exported(6);
  const whole = await verifyJsonlExport(fileOf(lines));
  assert.equal(whole.ok, true);
  assert.equal(whole.checked, 6);
  const part = await verifyJsonlExport(fileOf(lines.slice(2)));
  assert.equal(part.ok, true);
  assert.equal(part.from_seq, 3);
});

it('verify --jsonl: a line rewritten to parse to the same event is reported at its seq', async () => {
  const lines = await exported(6);
  for (const [name, rewrite] of Object.entries(REWRITES)) {
    const tampered = lines.map((line, i) => (i === 1 ? rewrite(line) : line));
    assert.notEqual(tampered[1], lines[1], name);
    assert.deepEqual(JSON.parse(tampered[1] as string), JSON.parse(lines[1] as string), `${name}: parses to the same event`);
    const report = await verifyJsonlExport(fileOf(tampered));
    assert.equal(report.ok, false, name);
    assert.equal(report.firstBad?.seq, 2, name);
    assert.equal(report.firstBad?.reason, 'malformed', name);
  }
  // The first line of a segment too (its prev_hash still anchors the check).
  const segment = lines.slice(3).map((line, i) => (i === 0 ? (REWRITES.spacing as (l: string) => string)(line) : line));
  const report = await verifyJsonlExport(fileOf(segment));
  assert.deepEqual([report.ok, report.firstBad?.seq, report.firstBad?.reason], [false, 4, 'malformed']);
});

it('verify --jsonl: any whitespace put between the tokens of any line is reported at that line (property)', async () => {
  const lines = await exported(8);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: 7 }), fc.nat(), fc.constantFrom(' ', '\t'), async (index, at, space) => {
      const line = lines[index] as string;
      // Whitespace after a structural character outside strings keeps the JSON value.
      const structural = [...line.matchAll(/[{}[\],:]/g)].map((m) => m.index).filter((i) => {
        const before = line.slice(0, i);
        return ((before.match(/(?<!\\)"/g) ?? []).length % 2) === 0;
      });
      const cut = (structural[at % structural.length] as number) + 1;
      const rewritten = `${line.slice(0, cut)}${space}${line.slice(cut)}`;
      const tampered = lines.map((l, i) => (i === index ? rewritten : l));
      const report = await verifyJsonlExport(fileOf(tampered));
      assert.equal(report.ok, false);
      assert.equal(report.firstBad?.seq, index + 1);
    }),
    { numRuns: 60 },
  );
});

/** The export with its last event rewritten (a deny made an allow) and its hash recomputed: the chain alone still holds. */
function rewrittenTail(lines: readonly string[]): { lines: string[]; realHead: string } {
  const real = JSON.parse(lines.at(-1) as string) as AuditEvent;
  const { hash: _hash, ...body } = real;
  const forged = { ...body, decision: { outcome: 'allow', code: 'policy.allow', reasons: [] } };
  const line = exportLine({ ...forged, hash: hashEvent(forged.prev_hash, forged as Omit<AuditEvent, 'hash'>) } as AuditEvent);
  return { lines: [...lines.slice(0, -1), line], realHead: `${real.seq}:${real.hash}` };
}

it('verify --jsonl with anchors: a rewritten tail or a file cut before an anchored head fails; the real one passes', async () => {
  const lines = await exported(6);
  const head = JSON.parse(lines[5] as string) as AuditEvent;
  const third = JSON.parse(lines[2] as string) as AuditEvent;
  const file = fileOf(lines);
  assert.equal((await verifyJsonlExport(file, { expect: [parseAnchor(`6:${head.hash}`), parseAnchor('0:genesis'), parseAnchor(`3:${third.hash}`)] })).ok, true);

  const forged = rewrittenTail(lines);
  const forgedFile = fileOf(forged.lines);
  assert.equal((await verifyJsonlExport(forgedFile)).ok, true, 'without an anchor a recomputed tail verifies (the reason anchors exist)');
  const caught = await verifyJsonlExport(forgedFile, { expect: [parseAnchor(forged.realHead)] });
  assert.deepEqual([caught.ok, caught.firstBad?.seq, caught.firstBad?.reason], [false, 6, 'checkpoint_mismatch']);

  const cut = await verifyJsonlExport(fileOf(lines.slice(0, 4)), { expect: [parseAnchor(`6:${head.hash}`)] });
  assert.deepEqual([cut.ok, cut.firstBad?.reason], [false, 'truncated']);

  // A segment (seq 4..6): the head just before it is its first prev_hash; one further back it cannot show.
  const segment = fileOf(lines.slice(3));
  assert.equal((await verifyJsonlExport(segment, { expect: [parseAnchor(`3:${third.hash}`), parseAnchor(`6:${head.hash}`)] })).ok, true);
  const other = `sha256:${'1'.repeat(64)}`;
  const wrongStart = await verifyJsonlExport(segment, { expect: [parseAnchor(`3:${other}`)] });
  assert.deepEqual([wrongStart.ok, wrongStart.firstBad?.seq, wrongStart.firstBad?.reason], [false, 3, 'checkpoint_mismatch']);
  const before = await verifyJsonlExport(segment, { expect: [parseAnchor(`2:${third.prev_hash}`)] });
  assert.deepEqual([before.ok, before.firstBad?.seq, before.firstBad?.reason], [false, 2, 'truncated']);
  assert.throws(() => parseAnchor('6:deadbeef'), { code: 'ERR_AUDIT_ANCHOR' });
});
