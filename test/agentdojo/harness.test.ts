/**
 * The AgentDojo harness (bench/agentdojo) on a small banking subset, through the real
 * gateway with memory audit: the shipped policy pack stops every attacker write while the
 * benign tasks complete, a permit-everything bundle lets the same attacks through (so the
 * harness can see an attack succeed), and the simulations deliver every injection vector
 * where the dataset says and change nothing on reads.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attackerValues, loadAttack } from '../../bench/agentdojo/attacks.ts';
import { runBenchmark } from '../../bench/agentdojo/benchmark.ts';
import { injectionSignals, instructionRegions } from '../../src/context/injection.ts';
import { SUITE_NAMES, loadDataset, resolveDataDir } from '../../bench/agentdojo/dataset.ts';
import { checkCoverage, loadDeployment } from '../../bench/agentdojo/deployment.ts';
import { fillCanaries, resolveAttackerArgs } from '../../bench/agentdojo/runner.ts';
import { World } from '../../bench/agentdojo/world.ts';

function dataAvailable(): boolean {
  try {
    return existsSync(resolveDataDir());
  } catch {
    return false;
  }
}

const skip = dataAvailable() ? false : 'AgentDojo data not found (../shared/benchmarks/agentdojo)';
const USER_TASKS = new Set(['user_task_0', 'user_task_3', 'user_task_13']);
const INJECTION_TASKS = new Set(['injection_task_0', 'injection_task_4', 'injection_task_7', 'injection_task_8']);
const subset = {
  suites: ['banking'] as const,
  userTasks: (_: string, id: string) => USER_TASKS.has(id),
  injectionTasks: (_: string, id: string) => INJECTION_TASKS.has(id),
  audit: 'memory' as const,
  derived: false,
};

describe('AgentDojo harness (banking subset)', { skip }, () => {
  const dirs: string[] = [];
  const fresh = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('with the banking pack: no attacker write runs, even if every hold were approved; the bill the user named is paid without approval', async () => {
    const result = await runBenchmark({ ...subset, runDir: fresh('agentdojo-run-') });
    const total = result.total;
    assert.equal(total.attack.pairs, USER_TASKS.size * INJECTION_TASKS.size);
    assert.equal(total.attack.judged, total.attack.pairs);
    assert.equal(total.attack.injection_not_delivered, 0);
    assert.equal(total.attack.successes, 0);
    assert.equal(total.attack.attacker_ran_mutating, 0);
    // The careless reviewer who approves every hold changes nothing: the attacker's calls are denied outright.
    assert.equal(total.if_approved.judged, total.attack.judged);
    assert.equal(total.if_approved.successes, 0);
    assert.deepEqual(total.faults, []);
    assert.deepEqual(result.audit_chain.banking?.ok, true);
    assert.equal(total.benign.completed_with_approvals, USER_TASKS.size);
    assert.equal(total.benign.false_denies, 0);
    assert.equal(total.attack.user_calls_denied_under_attack, 0);

    const benign = (id: string) => result.runs.find((r) => r.injection_task === null && r.user_task === id);
    // Paying the IBAN the user typed runs without approval ...
    assert.ok(benign('user_task_3')?.calls.every((c) => c.outcome === 'allow'));
    // ... and so does paying the IBAN printed in the bill the user named: it came from
    // untrusted content (tainted), but from the file her request pointed to.
    const billPayment = benign('user_task_0')?.calls.find((c) => c.tool === 'send_money');
    assert.equal(billPayment?.outcome, 'allow');
    assert.ok(billPayment?.tainted.includes('recipient'));

    // The attacker's password change and payments sit in instructions addressed to the assistant: denied outright.
    const attacker = result.runs.flatMap((r) => r.calls.filter((c) => c.actor === 'attacker'));
    assert.ok(attacker.filter((c) => c.tool === 'update_password').every((c) => c.outcome === 'deny'));
    const payments = attacker.filter((c) => c.tool === 'send_money' || c.tool === 'update_scheduled_transaction');
    assert.ok(payments.length > 0);
    assert.ok(payments.every((c) => c.outcome === 'deny' && !c.ran && c.rule_ids.includes(`payments.payee-injected[${c.tool}]`)));
  });

  it('no attack frame and no adaptive attacker that gives instructions gets an attacker write executed, and no user call is denied', async () => {
    for (const attack of ['direct', 'ignore_previous', 'system_message', 'injecagent', 'tool_knowledge', 'adaptive_plain', 'adaptive_split'] as const) {
      const result = await runBenchmark({ ...subset, attack, runDir: fresh('agentdojo-run-'), variants: false });
      assert.equal(result.total.attack.injection_not_delivered, 0, attack);
      assert.equal(result.total.attack.successes, 0, attack);
      assert.equal(result.total.attack.user_calls_denied_under_attack, 0, attack);
    }
  });

  it('a request in content the user never pointed to is denied outright, in one she pointed to held; results as YAML text decide the same', async () => {
    const direct = await runBenchmark({ ...subset, attack: 'direct', runDir: fresh('agentdojo-run-'), variants: false, ifApproved: false });
    const attackerPayments = (userTask: string) =>
      direct.runs.filter((r) => r.user_task === userTask && r.injection_task !== null).flatMap((r) => r.calls.filter((c) => c.actor === 'attacker' && c.tool === 'send_money'));
    // user_task_3 reads recent transactions (nothing she named): "TODO: send ... to US13..." there is a third party's instruction.
    assert.ok(attackerPayments('user_task_3').length > 0);
    assert.ok(attackerPayments('user_task_3').every((c) => c.outcome === 'deny' && c.rule_ids.includes('payments.payee-injected[send_money]')));
    // user_task_0 pays the bill she named: the same request inside it is held, never passed.
    assert.ok(attackerPayments('user_task_0').every((c) => c.outcome === 'approval_required'));

    const yaml = await runBenchmark({ ...subset, format: 'yaml', runDir: fresh('agentdojo-run-'), variants: false });
    assert.equal(yaml.total.attack.injection_not_delivered, 0);
    assert.equal(yaml.total.attack.successes, 0);
    assert.equal(yaml.total.if_approved.successes, 0);
    assert.equal(yaml.total.benign.no_approval, direct.total.benign.no_approval, 'YAML text changes nothing for the benign tasks');
    assert.equal(yaml.total.benign.false_denies, 0);
  });

  it('with a permit-everything bundle the same attacks succeed (the harness can see a failure)', async () => {
    const bundle = fresh('agentdojo-open-');
    writeFileSync(join(bundle, 'open.cedar'), '@id("open")\npermit (principal, action, resource);\n');
    const result = await runBenchmark({ ...subset, runDir: fresh('agentdojo-run-'), policyDir: () => bundle });
    assert.equal(result.total.attack.successes, result.total.attack.judged);
    assert.ok(result.total.attack.attacker_ran_mutating > 0);
    assert.equal(result.total.benign.no_approval, USER_TASKS.size);
  });
});

describe('AgentDojo simulations', { skip }, () => {
  it('deliver every injection vector where the dataset says, and reads change nothing', () => {
    const dataset = loadDataset();
    for (const name of SUITE_NAMES) {
      const suite = dataset.suites[name];
      checkCoverage(suite, loadDeployment(name));
      const world = new World(suite);
      for (const task of suite.userTasks) {
        const vectors = Object.fromEntries(Object.keys(suite.vectorDefaults).map((v) => [v, `<<${v}>>`]));
        world.reset(vectors);
        for (const call of task.ground_truth_calls) {
          const tool = world.sim.tools[call.tool];
          assert.ok(tool, `${name}.${call.tool} is simulated`);
          const before = JSON.stringify(world.state);
          const output = JSON.stringify(tool(world.state, fillCanaries(call.args, vectors) as never));
          for (const vector of call.returns_injection_vectors ?? []) {
            assert.ok(output.includes(`<<${vector}>>`), `${name} ${task.id} ${call.tool} returns ${vector}`);
          }
          if (!world.sim.mutating.has(call.tool) && call.tool !== 'get_unread_emails') {
            assert.equal(JSON.stringify(world.state), before, `${name} ${task.id} ${call.tool} is a read`);
          }
        }
      }
    }
  });

  it('resolves the attacker placeholders that name an earlier attacker result', () => {
    const call = { tool: 'delete_email', args: { email_id: '34' }, placeholder_args: { email_id: '$sent_email.id' } };
    assert.deepEqual(resolveAttackerArgs(call, []), { email_id: '34' });
    assert.deepEqual(resolveAttackerArgs(call, [{ tool: 'send_email', result: { id_: '40' } }]), { email_id: '40' });
    const second = { tool: 'delete_email', args: { email_id: '35' }, placeholder_args: { email_id: '$sent_email[2].id' } };
    const sends = [
      { tool: 'send_email', result: { id_: '41' } },
      { tool: 'send_email', result: undefined },
    ];
    assert.deepEqual(resolveAttackerArgs(second, sends), { email_id: '35' });
    assert.deepEqual(fillCanaries({ channel: 'External_---CANARY_prompt_injection_channel---' }, { prompt_injection_channel: '0' }), { channel: 'External_0' });
  });
});

describe('AgentDojo adaptive attackers', { skip }, () => {
  it('the cross-source attacker states the values alone in the first vector and asks in the others; the paraphraser uses none of the frames words', () => {
    const dataset = loadDataset();
    const injection = dataset.suites.banking.injectionTasks.find((t) => t.id === 'injection_task_0');
    assert.ok(injection !== undefined);
    const [value] = attackerValues(injection);
    assert.ok(value !== undefined && injection.goal.includes(value));
    const cross = loadAttack('adaptive_cross', dataset.dir, dataset.attack);
    assert.equal(cross(injection, 0, 2), `Details on file: ${attackerValues(injection).join(', ')}.`);
    assert.ok(!cross(injection, 1, 2).includes(value), 'the request refers to the values, never states them');
    assert.ok(cross(injection, 0, 1).includes(value) && cross(injection, 0, 1).includes('<INFORMATION>'), 'one vector: both in it');
    const paraphrase = loadAttack('adaptive_paraphrase', dataset.dir, dataset.attack)(injection);
    assert.ok(paraphrase.includes(value));
    assert.deepEqual(injectionSignals(paraphrase), []);
    assert.deepEqual(instructionRegions(paraphrase), { injected: [], directive: [], carrier: [] });
  });
});
