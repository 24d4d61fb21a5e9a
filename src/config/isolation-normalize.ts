/** Defaults and camelCase for egress allowlists and sandbox settings (docs/egress.md, docs/sandbox.md). */
import { isAbsolute, resolve } from 'node:path';
import type { EgressRuleConfig, SandboxConnectorSpec, SandboxLimits } from '../core/types.ts';
import type { EgressConfig, SandboxSettings } from './types.ts';

type Raw = Record<string, unknown>;

export const SANDBOX_DEFAULTS: SandboxLimits = {
  cpuSeconds: 10,
  memoryBytes: 256 * 1024 * 1024,
  processes: 32,
  outputBytes: 1024 * 1024,
  fileBytes: 16 * 1024 * 1024,
  wallMs: 30_000,
};

export const EGRESS_DEFAULTS = { maxRedirects: 3 } as const;

function record(value: unknown): Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : {};
}

export function egressRules(raw: unknown): EgressRuleConfig[] {
  return ((raw as Raw[] | undefined) ?? []).map((r) => {
    const rule: EgressRuleConfig = { host: r.host as string };
    if (r.id !== undefined) rule.id = r.id as string;
    if (r.ports !== undefined) rule.ports = [...(r.ports as number[])];
    if (r.schemes !== undefined) rule.schemes = [...(r.schemes as Array<'http' | 'https'>)];
    if (r.addresses !== undefined) rule.addresses = [...(r.addresses as string[])];
    return rule;
  });
}

/** The top-level `egress` section: the global allowlist (empty: no destination is reachable). */
export function egressConfig(raw: unknown): EgressConfig {
  const egress = record(raw);
  return { allow: egressRules(egress.allow), maxRedirects: (egress.max_redirects as number | undefined) ?? EGRESS_DEFAULTS.maxRedirects };
}

function limits(raw: unknown): SandboxLimits {
  const l = record(raw);
  return {
    cpuSeconds: (l.cpu_seconds as number | undefined) ?? SANDBOX_DEFAULTS.cpuSeconds,
    memoryBytes: l.memory_mb === undefined ? SANDBOX_DEFAULTS.memoryBytes : (l.memory_mb as number) * 1024 * 1024,
    processes: (l.processes as number | undefined) ?? SANDBOX_DEFAULTS.processes,
    outputBytes: (l.output_bytes as number | undefined) ?? SANDBOX_DEFAULTS.outputBytes,
    fileBytes: (l.file_bytes as number | undefined) ?? SANDBOX_DEFAULTS.fileBytes,
    wallMs: (l.wall_ms as number | undefined) ?? SANDBOX_DEFAULTS.wallMs,
  };
}

const pathIn = (baseDir: string, path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));

/** Sandbox settings (connector or MCP stdio upstream); paths resolve against the config file's folder. */
export function sandboxSettings(raw: unknown, baseDir: string): SandboxSettings {
  const s = record(raw);
  return {
    network: (s.network as boolean | undefined) ?? false,
    readOnlyPaths: ((s.read_only_paths as string[] | undefined) ?? []).map((p) => pathIn(baseDir, p)),
    limits: limits(s.limits),
  };
}

export function sandboxConnector(raw: Raw, baseDir: string): SandboxConnectorSpec {
  return {
    type: 'sandbox',
    command: [...(raw.command as string[])],
    stdin: (raw.stdin as 'json' | 'none' | undefined) ?? 'json',
    output: (raw.output as 'json' | 'text' | undefined) ?? 'json',
    env: { ...(record(raw.env) as Record<string, string>) },
    ...sandboxSettings(raw, baseDir),
  };
}
