/**
 * Retention policy: how long each audit data class (classes.ts) is kept, and which event types
 * are reduced to their skeleton altogether after some age. The default (no policy) keeps
 * everything forever. `dueClasses` says which classes of one event a prune removes now.
 */
import type { JsonValue } from '../../core/canonical.ts';
import { DATA_CLASSES, holdsClass } from './classes.ts';
import type { DataClass } from './classes.ts';

export interface RetentionPolicy {
  /** Max age (days) per data class; a class without an entry is kept forever. */
  classes: Partial<Record<DataClass, { maxAgeDays: number }>>;
  /** Events of these types lose every data class after `maxAgeDays` (only the skeleton stays). */
  events: ReadonlyArray<{ type: string; maxAgeDays: number }>;
}

export const DAY_MS = 86_400_000;

/** Per rule (`<class>` or `events:<type>`): events with `ts` before this ISO time are due. */
export function horizonsOf(policy: RetentionPolicy, now: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const cls of DATA_CLASSES) {
    const rule = policy.classes[cls];
    if (rule !== undefined) out[cls] = new Date(now - rule.maxAgeDays * DAY_MS).toISOString();
  }
  for (const rule of policy.events) out[`events:${rule.type}`] = new Date(now - rule.maxAgeDays * DAY_MS).toISOString();
  return out;
}

/** The oldest horizon: no event at or after it is due under any rule (null: nothing is ever due). */
export function newestHorizon(horizons: Record<string, string>): string | null {
  let max: string | null = null;
  for (const at of Object.values(horizons)) if (max === null || at > max) max = at;
  return max;
}

/** The classes `event` still holds that are due under the policy's horizons (sorted; empty: nothing to do). */
export function dueClasses(event: Record<string, unknown>, horizons: Record<string, string>): DataClass[] {
  const ts = event.ts;
  if (typeof ts !== 'string') return [];
  const wholeEvent = horizons[`events:${String(event.type)}`];
  const whole = wholeEvent !== undefined && ts < wholeEvent;
  return DATA_CLASSES.filter((cls) => {
    const horizon = horizons[cls];
    return (whole || (horizon !== undefined && ts < horizon)) && holdsClass(event, cls);
  });
}

/** The policy as recorded in each prune record (config names, sorted). */
export function policyRecord(policy: RetentionPolicy): JsonValue {
  const classes: Record<string, JsonValue> = {};
  for (const cls of DATA_CLASSES) {
    const rule = policy.classes[cls];
    if (rule !== undefined) classes[cls] = { max_age_days: rule.maxAgeDays };
  }
  const events = [...policy.events].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)).map((r) => ({ type: r.type, max_age_days: r.maxAgeDays }));
  return { classes, events };
}

/** Whether the policy removes anything at all. */
export function isActive(policy: RetentionPolicy): boolean {
  return Object.keys(policy.classes).length > 0 || policy.events.length > 0;
}
