/**
 * `audit.retention` — how long each audit data class is kept before a prune removes it
 * (docs/audit.md, "Retention"). Absent: nothing is ever pruned. `schedule_minutes` makes
 * `airlock serve` prune on a timer (absent: only `airlock audit prune` does).
 */
export interface AuditRetentionConfig {
  /** Max age in days per data class (arguments, content, detail, identity, results). */
  classes: Partial<Record<'arguments' | 'content' | 'detail' | 'identity' | 'results', { maxAgeDays: number }>>;
  /** Event types reduced to their skeleton (every class removed) after `maxAgeDays`. */
  events: Array<{ type: string; maxAgeDays: number }>;
  /** Prune from `serve` every this many minutes (absent: never from serve). */
  scheduleMinutes?: number;
  /** Most events one run prunes (the rest waits for the next run). */
  maxEventsPerRun: number;
}

const maxAge = {
  type: 'object',
  additionalProperties: false,
  required: ['max_age_days'],
  properties: { max_age_days: { type: 'integer', minimum: 0, maximum: 36_500 } },
} as const;

export const auditRetentionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    classes: {
      type: 'object',
      additionalProperties: false,
      properties: { arguments: maxAge, content: maxAge, detail: maxAge, identity: maxAge, results: maxAge },
    },
    events: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'max_age_days'],
        properties: {
          type: { type: 'string', minLength: 1, maxLength: 128, not: { const: 'audit.pruned' }, 'x-message': 'must be an event type other than audit.pruned (prune records are kept)' },
          max_age_days: { type: 'integer', minimum: 0, maximum: 36_500 },
        },
      },
    },
    schedule_minutes: { type: 'integer', minimum: 1, maximum: 10_080 },
    max_events_per_run: { type: 'integer', minimum: 1, maximum: 10_000_000 },
  },
} as const;

type Rec = Record<string, unknown>;

export function normalizeAuditRetention(raw: Rec | undefined): AuditRetentionConfig | undefined {
  if (raw === undefined) return undefined;
  const classes: AuditRetentionConfig['classes'] = {};
  const rawClasses = (raw.classes ?? {}) as Rec;
  for (const cls of ['arguments', 'content', 'detail', 'identity', 'results'] as const) {
    const rule = rawClasses[cls] as Rec | undefined;
    if (rule !== undefined) classes[cls] = { maxAgeDays: rule.max_age_days as number };
  }
  const events = ((raw.events ?? []) as Rec[]).map((r) => ({ type: r.type as string, maxAgeDays: r.max_age_days as number }));
  return {
    classes,
    events,
    ...(typeof raw.schedule_minutes === 'number' ? { scheduleMinutes: raw.schedule_minutes } : {}),
    maxEventsPerRun: (raw.max_events_per_run as number | undefined) ?? 100_000,
  };
}
