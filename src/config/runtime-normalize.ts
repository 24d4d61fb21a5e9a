/** Defaults of the runtime-control sections (docs/runtime-controls.md). */
import { resolve } from 'node:path';
import type { AlertsConfig, BudgetsConfig, IdempotencyConfig, OutputClassName, OutputsConfig } from './runtime-types.ts';

type Raw = Record<string, unknown>;
const section = (raw: Raw, key: string): Raw => (raw[key] ?? {}) as Raw;

export function idempotencyConfig(raw: Raw = {}): IdempotencyConfig {
  return {
    operatorRole: (raw.operator_role as string | undefined) ?? 'security-admin',
    retentionSeconds: (raw.retention_seconds as number | undefined) ?? 86_400,
    leaseGraceSeconds: (raw.lease_grace_seconds as number | undefined) ?? 30,
    maxResultBytes: (raw.max_result_bytes as number | undefined) ?? 1024 * 1024,
  };
}

export function budgetsConfig(raw: Raw = {}): BudgetsConfig {
  const session = section(raw, 'session');
  const loops = section(raw, 'loops');
  const pick = <T extends Record<string, number | undefined>>(entries: T): { [K in keyof T]?: number } =>
    Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
  return {
    session: pick({ maxSteps: session.max_steps as number | undefined, maxToolCalls: session.max_tool_calls as number | undefined, maxSpend: session.max_spend as number | undefined }),
    loops: pick({ maxIdenticalCalls: loops.max_identical_calls as number | undefined, maxDenials: loops.max_denials as number | undefined }),
  };
}

const CLASS_NAMES: OutputClassName[] = ['informational', 'needs_confirmation', 'needs_approval', 'blocked'];

export function outputsConfig(raw: Raw = {}, baseDir = '.'): OutputsConfig {
  const classes = section(raw, 'classes');
  return {
    ...(typeof raw.policy_dir === 'string' ? { policyDir: resolve(baseDir, raw.policy_dir) } : {}),
    defaultClass: (raw.default_class as OutputClassName | undefined) ?? 'informational',
    classes: Object.fromEntries(
      CLASS_NAMES.map((name) => {
        const route = section(classes, name);
        return [name, { owner: (route.owner as string | undefined) ?? 'unassigned', escalation: [...((route.escalation as string[] | undefined) ?? [])] }];
      }),
    ) as OutputsConfig['classes'],
    dataClasses: { ...(section(raw, 'data_classes') as OutputsConfig['dataClasses']) },
    referenceRoles: [...((raw.reference_roles as string[] | undefined) ?? ['data-steward'])],
    ...(typeof raw.reference_key === 'string' ? { referenceKey: raw.reference_key } : {}),
    allowedHosts: [...((section(raw, 'links').allowed_hosts as string[] | undefined) ?? [])],
  };
}

export function alertsConfig(raw: Raw = {}): AlertsConfig {
  return {
    ...(raw.audit_commit_ms === undefined ? {} : { auditCommitMs: raw.audit_commit_ms as number }),
    cooldownSeconds: (raw.cooldown_seconds as number | undefined) ?? 60,
  };
}
