/**
 * Tampering with a real SQLite audit file through a second connection (as someone with write
 * access to the file would): verifyChain(readAll(store)) on the live store catches each edit
 * and names the first bad seq. Also records the limit of a keyless chain: a well-formed event
 * appended at the tail verifies, and only shows up as unattested beyond the checkpoint.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { canonicalize, sha256Hex } from '../../../core/canonical.ts';
import type { ChainFault, ChainVerification } from '../../../audit/chain.ts';
import { verifyChain } from '../../../audit/chain.ts';
import { readCheckpointFile } from '../../../audit/checkpoint.ts';
import { prepareInput, sealEvent } from '../../../audit/event-record.ts';
import { readAll } from '../../../audit/read-all.ts';
import { SqliteAuditStore } from './store.ts';
import { sampleEventInput } from '../../../audit/store.contract.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-audit-tamper-'));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const key = new Uint8Array(32).fill(42);

interface Fixture {
  store: SqliteAuditStore;
  /** Second connection with the append-only triggers removed, as an attacker would. */
  attacker: DatabaseSync;
  done: () => Promise<void>;
}

async function fixture(events = 6): Promise<Fixture> {
  const path = join(root, `tamper-${++files}.db`);
  const store = SqliteAuditStore.open(path, { checkpointKey: key });
  for (let i = 0; i < events; i++) await store.append([sampleEventInput({ data: { i, note: 'café ☕' } })]);
  const attacker = new DatabaseSync(path);
  attacker.exec('DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;');
  return {
    store,
    attacker,
    done: async () => {
      attacker.close();
      await store.close();
    },
  };
}

function body(db: DatabaseSync, seq: number): string {
  return (db.prepare('SELECT body FROM events WHERE seq = ?').get(seq) as { body: string }).body;
}

function expectBad(result: ChainVerification, seq: number, reasons: ChainFault[]): void {
  assert.equal(result.ok, false);
  assert.equal(result.firstBad?.seq, seq, JSON.stringify(result.firstBad));
  assert.ok(reasons.includes(result.firstBad.reason), JSON.stringify(result.firstBad));
}

it('a changed byte in a stored body is caught at its seq', async () => {
  const f = await fixture();
  try {
    assert.equal((await verifyChain(readAll(f.store))).ok, true);
    const original = body(f.attacker, 3);
    f.attacker.prepare('UPDATE events SET body = ? WHERE seq = 3').run(original.replace('"alice"', '"alicf"'));
    expectBad(await verifyChain(readAll(f.store)), 3, ['hash_mismatch']);
  } finally {
    await f.done();
  }
});

it('a non-canonical rewrite that parses to the same value is caught', async () => {
  const f = await fixture();
  try {
    f.attacker.prepare('UPDATE events SET body = ? WHERE seq = 2').run(body(f.attacker, 2).replace('"café', '"caf\\u00e9'));
    expectBad(await verifyChain(readAll(f.store, { pageSize: 4 })), 2, ['malformed']);
  } finally {
    await f.done();
  }
});

it('an edited event with a recomputed hash breaks the link to the next event', async () => {
  const f = await fixture();
  try {
    const edited = JSON.parse(body(f.attacker, 3)) as Record<string, unknown>;
    edited.tool = 'crm.deleteEverything';
    const newBody = canonicalize(edited);
    f.attacker.prepare('UPDATE events SET body = ?, hash = ? WHERE seq = 3').run(newBody, `sha256:${sha256Hex(newBody)}`);
    expectBad(await verifyChain(readAll(f.store)), 4, ['prev_mismatch']);
  } finally {
    await f.done();
  }
});

it('a rewritten last event is caught only by the checkpoint', async () => {
  const f = await fixture();
  try {
    const edited = JSON.parse(body(f.attacker, 6)) as Record<string, unknown>;
    edited.result_code = 'ok';
    const newBody = canonicalize(edited);
    f.attacker.prepare('UPDATE events SET body = ?, hash = ? WHERE seq = 6').run(newBody, `sha256:${sha256Hex(newBody)}`);
    assert.equal((await verifyChain(readAll(f.store))).ok, true);
    await f.store.close(); // let the last checkpoint land
    const checkpoint = readCheckpointFile(f.store.checkpointPath) ?? undefined;
    const reader = SqliteAuditStore.open(f.store.path, { readOnly: true });
    expectBad(await verifyChain(readAll(reader), { checkpoint, checkpointKey: key }), 6, ['checkpoint_mismatch']);
    await reader.close();
  } finally {
    await f.done();
  }
});

it('a changed lookup column is caught even though the body is intact', async () => {
  const f = await fixture();
  try {
    f.attacker.exec(`UPDATE events SET request_id = 'req_elsewhere' WHERE seq = 5`);
    expectBad(await verifyChain(readAll(f.store)), 5, ['malformed']);
  } finally {
    await f.done();
  }
});

it('a deleted row is caught at its seq', async () => {
  const f = await fixture();
  try {
    f.attacker.exec('DELETE FROM events WHERE seq = 2');
    expectBad(await verifyChain(readAll(f.store)), 2, ['seq_gap']);
  } finally {
    await f.done();
  }
});

it('a swap of two rows is caught at the earlier one', async () => {
  const f = await fixture();
  try {
    // Renumber rows 4 and 5 (bodies, hashes and lookup columns move together).
    f.attacker.exec('UPDATE events SET seq = -4 WHERE seq = 4; UPDATE events SET seq = 4 WHERE seq = 5; UPDATE events SET seq = 5 WHERE seq = -4;');
    expectBad(await verifyChain(readAll(f.store)), 4, ['malformed']);
  } finally {
    await f.done();
  }
});

it('a forged event inserted mid-log is caught; one appended at the tail is only unattested', async () => {
  const f = await fixture();
  try {
    const insert = f.attacker.prepare(
      'INSERT INTO events (seq, event_id, ts, type, request_id, action_id, parent_action_id, session_id, trace_id, body, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)',
    );
    const forge = (seq: number, prevHash: string) => {
      const { record: r } = sealEvent(prepareInput(sampleEventInput({ type: 'approval.granted' })), {
        seq,
        eventId: `evt_forged${seq}aaaaaaaa`,
        ts: new Date().toISOString(),
        prevHash,
      });
      insert.run(r.seq, r.event_id, r.ts, r.type, r.request_id, r.action_id, r.parent_action_id, r.session_id, r.trace_id, r.body, r.prev_hash, r.hash);
      return r;
    };
    const head = await f.store.head();
    assert.ok(head !== null);
    forge(7, head.hash);
    await f.store.close();
    const checkpoint = readCheckpointFile(f.store.checkpointPath) ?? undefined;
    const reader = SqliteAuditStore.open(f.store.path, { readOnly: true });
    const tail = await verifyChain(readAll(reader), { checkpoint, checkpointKey: key });
    assert.equal(tail.ok, true, 'a keyless chain cannot tell a forged tail event from a real one');
    assert.equal(tail.unattested, 1);

    // Mid-log: renumber the rows after 3 and squeeze in a forged event, correctly chained onto 3,
    // as seq 4. The forgery itself verifies; the displaced original right after it does not.
    f.attacker.exec('UPDATE events SET seq = seq + 100 WHERE seq >= 4');
    const three = f.attacker.prepare('SELECT hash FROM events WHERE seq = 3').get() as { hash: string };
    forge(4, three.hash);
    f.attacker.exec('UPDATE events SET seq = seq - 99 WHERE seq >= 104');
    expectBad(await verifyChain(readAll(reader)), 5, ['malformed']);
    await reader.close();
  } finally {
    await f.done();
  }
});
