/**
 * Alerts the gateway raises about itself. Audit delay: every audit append is timed; a commit
 * slower than `alerts.audit_commit_ms` raises an `audit_delay` alert (at most one per
 * cooldown) — told to the embedding application (`GatewayOptions.onAlert`; `airlock serve`
 * logs it) and counted in `stats().alerts`. Calls keep their guarantees meanwhile: nothing runs
 * before its intent is committed, and a store slower than its lock timeout refuses calls.
 */
import type { AuditStore } from '../audit/index.ts';
import type { Clock } from '../core/clock.ts';

export type GatewayAlert =
  | { type: 'session_suspended'; session_id: string; tenant: string; code: string; kill_switch_id: string }
  | { type: 'audit_delay'; commit_ms: number; threshold_ms: number; events: number };

/** The audit store with its appends timed; every other member is the store's own. */
export function timedAudit(store: AuditStore, options: { clock: Clock; thresholdMs: number | undefined; cooldownMs: number; raise: (alert: GatewayAlert) => void }): AuditStore {
  const threshold = options.thresholdMs;
  if (threshold === undefined) return store;
  let lastAlert = -Infinity;
  const append: AuditStore['append'] = async (events) => {
    const started = performance.now();
    try {
      return await store.append(events);
    } finally {
      const took = performance.now() - started;
      const now = options.clock.now();
      if (took > threshold && now - lastAlert >= options.cooldownMs) {
        lastAlert = now;
        options.raise({ type: 'audit_delay', commit_ms: Math.round(took), threshold_ms: threshold, events: events.length });
      }
    }
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'append') return append;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
