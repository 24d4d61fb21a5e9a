import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { LiveTool } from './hub-admission.ts';
import type { UpstreamState } from './hub-upstream.ts';
import { ReconnectSchedule, otherToolNames } from './hub-upstream.ts';

/** A mocked clock for setTimeout: `advance` moves it in 100 ms steps, letting each attempt's promise settle. */
function mockedTime(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  return {
    now: () => now,
    advance: async (ms: number) => {
      for (const end = now + ms; now < end; ) {
        now += 100;
        t.mock.timers.tick(100);
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
    },
  };
}

test('ReconnectSchedule retries with a doubling delay, capped, until an attempt connects', async (t) => {
  const time = mockedTime(t);
  const schedule = new ReconnectSchedule(4000);
  const attempts: number[] = [];
  schedule.schedule('fs', 1000, async () => {
    attempts.push(time.now());
    return attempts.length === 5;
  });
  await time.advance(30_000);
  // After 1 s, then 2 s, 4 s, 4 s (capped), 4 s later: connected at the fifth, no sixth.
  assert.deepEqual(attempts, [1000, 3000, 7000, 11_000, 15_000]);
});

test('ReconnectSchedule keeps one pending attempt per upstream, and close cancels them', async (t) => {
  const time = mockedTime(t);
  const schedule = new ReconnectSchedule();
  const attempts: string[] = [];
  const attempt = (name: string) => async () => {
    attempts.push(`${name}@${time.now()}`);
    return false;
  };
  schedule.schedule('fs', 1000, attempt('fs'));
  schedule.schedule('fs', 500, attempt('fs again'));
  schedule.schedule('db', 1000, attempt('db'));
  await time.advance(1000);
  assert.deepEqual(attempts, ['fs@1000', 'db@1000']);
  schedule.close();
  schedule.schedule('mem', 1000, attempt('mem'));
  await time.advance(10_000);
  assert.deepEqual(attempts, ['fs@1000', 'db@1000'], 'nothing runs after close');
});

test('otherToolNames gives the other upstreams\' tools as they call them and as clients see them', () => {
  const upstream = (prefix: string, tools: Record<string, string>) =>
    ({ config: { prefix }, live: new Map(Object.entries(tools).map(([name, exposed]) => [name, { exposed } as LiveTool])) }) as unknown as UpstreamState;
  const upstreams = [upstream('fs', { read_file: 'fs.read_file' }), upstream('mail', { send_email: 'mail.send_email' }), upstream('bare', { lookup: 'lookup' })];
  assert.deepEqual(otherToolNames(upstreams, new Set(['transfer']), 'fs'), ['transfer', 'send_email', 'mail.send_email', 'lookup']);
});
