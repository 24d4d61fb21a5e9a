/**
 * Crash durability: 50 SIGKILLs of a real gateway process under concurrent load, one audit
 * log across all of them. Every acknowledged call's intent and result events must be
 * there, and the chain must verify. (The drill itself: scripts/crash-durability.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrashTrials } from '../../scripts/crash-durability.ts';

test('50 SIGKILLs under load lose no acknowledged call and leave a verifying chain', { timeout: 600_000 }, async () => {
  const report = await runCrashTrials({ trials: 50, concurrency: 8 });
  assert.equal(report.trials, 50);
  assert.ok(report.results.every((r) => r.acknowledged > 0), 'every trial killed the gateway while it was serving calls');
  assert.deepEqual(report.results.flatMap((r) => r.missing), []);
  assert.equal(report.chainOk, true);
  // Each acknowledged call wrote two events; unacknowledged in-flight calls may have written more.
  assert.ok(report.events >= report.acknowledged * 2);
});
