/**
 * How a stdio MCP upstream that opted into the sandbox (`sandbox:` on the upstream) is
 * started: the same bubblewrap sandbox, seccomp filter and limits as a sandboxed tool
 * (docs/sandbox.md), launched through a small shell step that opens the filter file as fd 3
 * (the SDK's stdio transport passes no extra descriptors) and, when Airlock runs as root,
 * setpriv to the sandbox user. The upstream's environment (resolved secrets included) is
 * the launcher's whole environment, handed on by bwrap: nothing else of Airlock's, and no
 * value on a command line. The filter files are written
 * once per process (one per network setting), readable by their owner only.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxLimits } from '../../core/types.ts';
import { sandboxCommand, seccompProgram } from '../../tools/index.ts';

export interface SandboxedStdioInput {
  command: string[];
  env: Record<string, string>;
  network: boolean;
  readOnlyPaths: string[];
  limits: SandboxLimits;
}

const filters = new Map<boolean, string>();
let filterDir: string | undefined;

function filterFile(network: boolean): string {
  let path = filters.get(network);
  if (path === undefined) {
    filterDir ??= mkdtempSync(join(tmpdir(), 'airlock-seccomp-'));
    path = join(filterDir, network ? 'network.bpf' : 'no-network.bpf');
    writeFileSync(path, seccompProgram({ network }), { mode: 0o600 });
    filters.set(network, path);
  }
  return path;
}

/** The command, arguments and environment for the SDK's stdio transport. */
export function sandboxedStdio(input: SandboxedStdioInput): { command: string; args: string[]; env: Record<string, string> } {
  const { argv, uid, gid } = sandboxCommand(input);
  const drop = uid === undefined ? [] : ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups', '--'];
  return {
    command: '/bin/sh',
    // $1: the filter file, opened as fd 3 for bwrap --seccomp 3; the rest is exec'd as given (no shell parsing).
    args: ['-c', 'exec 3<"$1" && shift && exec "$@"', 'airlock-sandbox', filterFile(input.network), ...drop, ...argv],
    // Only the upstream's own environment (bwrap hands it on; its defaults fill PATH, HOME, ...).
    env: { PATH: '/usr/bin:/bin', ...input.env },
  };
}
