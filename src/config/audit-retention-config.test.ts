import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from './load.ts';

const demo = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'support-desk', 'airlock.yaml'), 'utf8');
const parse = (text: string) => parseConfig(text, { filename: 'airlock.yaml', baseDir: '/srv/airlock' });
const auditLine = demo.split('\n').findIndex((line) => line === 'audit:') + 1;
const withRetention = (retention: string) => {
  assert.ok(auditLine > 0);
  return demo.replace(/^audit:\n/m, `audit:\n  retention:\n${retention}`);
};
const issues = (text: string): Array<{ path: string; line?: number; message: string }> => {
  try {
    parse(text);
  } catch (error) {
    return (error as { details: { errors: Array<{ path: string; line?: number; message: string }> } }).details.errors;
  }
  return [];
};

test('audit.retention: absent by default (everything kept); classes, whole-event rules and the schedule normalized', () => {
  assert.equal(parse(demo).auditRetention, undefined);
  const config = parse(
    withRetention('    classes:\n      arguments: { max_age_days: 30 }\n      identity: { max_age_days: 365 }\n    events:\n      - { type: result, max_age_days: 90 }\n    schedule_minutes: 60\n'),
  );
  assert.deepEqual(config.auditRetention, {
    classes: { arguments: { maxAgeDays: 30 }, identity: { maxAgeDays: 365 } },
    events: [{ type: 'result', maxAgeDays: 90 }],
    scheduleMinutes: 60,
    maxEventsPerRun: 100_000,
  });
  assert.deepEqual(parse(withRetention('    classes: {}\n')).auditRetention, { classes: {}, events: [], maxEventsPerRun: 100_000 });
});

test('audit.retention refuses unknown classes, negative ages, pruning prune records and a zero schedule, at their line', () => {
  const unknown = issues(withRetention('    classes:\n      secrets: { max_age_days: 1 }\n'));
  assert.ok(unknown.some((i) => i.path.startsWith('audit.retention.classes') && i.line === auditLine + 3), JSON.stringify(unknown));
  const negative = issues(withRetention('    classes:\n      content: { max_age_days: -1 }\n'));
  assert.ok(negative.some((i) => i.path === 'audit.retention.classes.content.max_age_days' && i.line === auditLine + 3), JSON.stringify(negative));
  const records = issues(withRetention('    events:\n      - { type: audit.pruned, max_age_days: 1 }\n'));
  assert.ok(records.some((i) => i.path === 'audit.retention.events[0].type' && /prune records are kept/.test(i.message)), JSON.stringify(records));
  const schedule = issues(withRetention('    schedule_minutes: 0\n'));
  assert.ok(schedule.some((i) => i.path === 'audit.retention.schedule_minutes' && i.line === auditLine + 2), JSON.stringify(schedule));
});
