/** A policy reload on one replica reaches the others (fleet channel): each reloads its own bundle and says so when it differs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoBundleWith } from '../support/demo.ts';
import { startFleet } from '../support/fleet.ts';
import { createGateway } from '../../src/pipeline/index.ts';
import { openAuditForReading } from '../../src/stores/index.ts';

test('a reload on replica A makes replica B reload its bundle; both then run the same version, audited on each', async () => {
  const bundle = demoBundleWith();
  const faults: string[] = [];
  const fleet = await startFleet(2, { redis: false, bundleDir: bundle, gateway: { onBackgroundFault: (what) => faults.push(what) } });
  try {
    const [a, b] = fleet.replicas as [(typeof fleet.replicas)[0], (typeof fleet.replicas)[0]];
    const before = a.policyVersion();
    assert.equal(b.policyVersion(), before);
    appendFileSync(join(bundle, 'extra.cedar'), '\n@id("fleet-reload-probe")\n@reason("probe")\nforbid (principal, action, resource) when { context has no_such_flag };\n');
    const { version } = await a.reloadPolicy();
    assert.notEqual(version, before);
    const deadline = Date.now() + 10_000;
    while (b.policyVersion() !== version && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.policyVersion(), version, 'replica B reloaded on the announcement');
    assert.deepEqual(faults, []);
    const opened = await openAuditForReading(fleet.config);
    assert.ok(opened !== null);
    try {
      const loaded = (await opened.store.read()).filter((e) => e.type === 'policy.loaded').map((e) => (e.data as { version: string }).version);
      assert.deepEqual(loaded, [version, version], 'each replica recorded its reload');
    } finally {
      await opened.store.close();
    }
  } finally {
    await fleet.close();
  }
});

test('a replica whose bundle differs reloads, keeps deciding with its own bundle, and reports the mismatch', async () => {
  const bundle = demoBundleWith();
  const fleet = await startFleet(1, { redis: false, bundleDir: bundle });
  const faults: Array<{ what: string; code: string }> = [];
  const other = await createGateway(
    { ...fleet.config, policy: { ...fleet.config.policy, bundleDir: demoBundleWith() } },
    { handlers: fleet.desk.handlers(), resolvers: fleet.desk.resolvers(), onBackgroundFault: (what, error) => faults.push({ what, code: String((error as { code?: string }).code) }) },
  );
  try {
    appendFileSync(join(bundle, 'extra.cedar'), '\n@id("fleet-reload-probe")\n@reason("probe")\nforbid (principal, action, resource) when { context has no_such_flag };\n');
    const { version } = await (fleet.replicas[0] as (typeof fleet.replicas)[0]).reloadPolicy();
    const deadline = Date.now() + 10_000;
    while (faults.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(faults.map((f) => f.code), ['ERR_POLICY_FLEET_MISMATCH']);
    assert.notEqual(other.policyVersion(), version);
  } finally {
    await other.close();
    await fleet.close();
  }
});
