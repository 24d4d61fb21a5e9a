/**
 * Operator commands of the CLI, run as a child process against a demo config: a held call
 * shows up in `approvals list` and is approved with `approvals approve`; `overrides create`
 * refuses a missing justification and an operator without the role; the register lists an
 * open override with its owner; `credentials revoke` needs exactly one target.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDemoConfig } from '../../scripts/demo-config.ts';
import { loadConfig } from '../../src/config/index.ts';
import { createGateway, loadToolkit, mintToken } from '../../src/pipeline/index.ts';
import { runAirlockSync } from '../support/cli.ts';

describe('airlock operator commands', () => {
  test('approvals list shows a held call; approvals approve decides it; the register and revocation work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-op-'));
    const configPath = writeDemoConfig(dir);
    const config = await loadConfig(configPath);
    const token = (sub: string, roles: string[], agent?: string) =>
      mintToken(config, { sub, tenant: 'acme', roles, ttlSeconds: 600, ...(agent === undefined ? {} : { agent }) });
    const [sam, lead, olga] = [await token('sam', ['support'], 'support-agent'), await token('lena', ['support-lead']), await token('olga', ['security-admin'])];

    const gateway = await createGateway(config, await loadToolkit(config));
    const { session_id } = await gateway.createSession(sam);
    const held = await gateway.execute({ token: sam, session_id, tool: 'email.send', arguments: { to: 'x@elsewhere.example', subject: 's', body: 'b' } });
    await gateway.close();
    assert.equal(held.status, 'approval_required');
    const id = held.status === 'approval_required' ? held.approval_id : '';

    const listed = runAirlockSync(['approvals', 'list', '--config', configPath, '--state', 'pending'], lead);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`${id}\\s+APPROVAL REQUIRED\\s+email\\.send\\s+support-lead\\s+sam via support-agent`));
    const asJson = JSON.parse(runAirlockSync(['approvals', 'list', '--config', configPath, '--json'], lead).stdout) as { approvals: Array<{ id: string }> };
    assert.deepEqual(asJson.approvals.map((a) => a.id), [id]);
    assert.equal(runAirlockSync(['approvals', 'list', '--config', configPath]).code, 2, 'no token: usage error');

    const selfApproval = runAirlockSync(['approvals', 'approve', id, '--config', configPath, '--justification', 'fine'], sam);
    assert.notEqual(selfApproval.code, 0);
    assert.match(selfApproval.stderr, /ERR_APPROVAL_/);
    const approved = runAirlockSync(['approvals', 'approve', id, '--config', configPath, '--justification', 'partner confirmed by phone'], lead);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`${id}: approved`));

    const noReason = runAirlockSync(['overrides', 'create', '--config', configPath, '--tool', 'crm.exportCustomers'], olga);
    assert.notEqual(noReason.code, 0, 'commander refuses a missing --justification');
    const blank = runAirlockSync(['overrides', 'create', '--config', configPath, '--tool', 'crm.exportCustomers', '--justification', '  '], olga);
    assert.equal(blank.code, 2);
    assert.match(blank.stderr, /ERR_OVERRIDE_JUSTIFICATION_INVALID/);
    const noRole = runAirlockSync(['overrides', 'create', '--config', configPath, '--tool', 'crm.exportCustomers', '--justification', 'x'], lead);
    assert.match(noRole.stderr, /ERR_OVERRIDE_ROLE_REQUIRED/);
    const created = runAirlockSync(['overrides', 'create', '--config', configPath, '--tool', 'crm.exportCustomers', '--ttl', '300', '--justification', 'incident 12', '--json'], olga);
    assert.equal(created.code, 0, created.stderr);
    const override = (JSON.parse(created.stdout) as { override: { id: string; owner: { user: string }; expires_at: number; created_at: number } }).override;
    assert.equal(override.owner.user, 'olga');
    assert.equal(override.expires_at - override.created_at, 300_000);

    const register = runAirlockSync(['overrides', 'list', '--config', configPath], olga);
    assert.equal(register.code, 0, register.stderr);
    assert.match(register.stdout, new RegExp(`${override.id}\\s+open\\s+tool crm\\.exportCustomers\\s+olga`));
    assert.match(register.stdout, /open: 1 {3}median age of open overrides: \d+ s/);
    const revoked = runAirlockSync(['overrides', 'revoke', override.id, '--config', configPath, '--justification', 'incident closed'], olga);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(runAirlockSync(['overrides', 'list', '--config', configPath], olga).stdout, /open: 0/);

    assert.equal(runAirlockSync(['credentials', 'revoke', '--config', configPath], olga).code, 2, 'a target is required');
    const revoke = runAirlockSync(['credentials', 'revoke', '--config', configPath, '--user', 'sam', '--json'], olga);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.deepEqual(JSON.parse(revoke.stdout), { revoked: { user: 'sam' } });
    assert.match(runAirlockSync(['credentials', 'revoke', '--config', configPath, '--user', 'sam'], lead).stderr, /ERR_CREDENTIAL_FORBIDDEN/);
  });
});
