/**
 * runSandboxed: one command in the bubblewrap sandbox (bwrap.ts) with the seccomp filter
 * (seccomp.ts) on fd 3, as an unprivileged user when Airlock runs as root (so the process
 * limit binds and root-owned files stay closed), its input on stdin. It returns the output
 * and a SandboxReport: exit, signal, and every violation seen — the seccomp filter killed it
 * (SIGSYS), CPU time (SIGXCPU), output over its limit or the wall-clock bound (the run is
 * killed), and the limits the command ran into as its own error text shows them (address
 * space, processes, file size, a read-only or missing file system path, a refused network).
 * Faults of the sandbox itself (bwrap missing, unsupported architecture) are errors:
 * nothing runs unsandboxed.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readlinkSync } from 'node:fs';
import { AirlockError } from '../../core/errors.ts';
import type { SandboxLimits, SandboxReport } from '../../core/types.ts';
import type { HostEntry } from './bwrap.ts';
import { bwrapArguments } from './bwrap.ts';
import { seccompProgram } from './seccomp.ts';

export const BWRAP = '/usr/bin/bwrap';
/** The user sandboxed runs use when Airlock runs as root ("nobody"). */
export const SANDBOX_UID = 65534;

export interface SandboxRun {
  command: string[];
  env: Record<string, string>;
  network: boolean;
  readOnlyPaths: string[];
  limits: SandboxLimits;
  stdin?: string;
  signal?: AbortSignal;
}

export interface SandboxResult {
  stdout: string;
  stderr: string;
  report: SandboxReport;
}

const SIGNALS: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 24: 'SIGXCPU', 25: 'SIGXFSZ', 31: 'SIGSYS', 15: 'SIGTERM' };

/**
 * Error text of the limits a command runs into (the kernel refuses; the program says so).
 * `always`: specific enough to count even when the command still exits 0 (a fork bomb's
 * parent often does); the others count only for a failed run.
 */
const INDICATORS: Array<{ code: string; pattern: RegExp; detail: string; always: boolean }> = [
  { code: 'sandbox.memory', pattern: /MemoryError|memory exhausted|cannot allocate|out of memory|std::bad_alloc|ENOMEM/i, detail: 'the address-space limit refused an allocation', always: true },
  { code: 'sandbox.processes', pattern: /fork: retry|Cannot fork|can't fork|fork: Resource temporarily unavailable|EAGAIN/i, detail: 'the process limit refused a new process', always: true },
  { code: 'sandbox.filesystem', pattern: /Read-only file system|EROFS/i, detail: 'a write outside the work folder was refused (read-only root)', always: true },
  { code: 'sandbox.network', pattern: /Network is unreachable|ENETUNREACH|Temporary failure in name resolution|EAI_AGAIN/i, detail: 'a network connection was refused (no network in the sandbox)', always: true },
  { code: 'sandbox.file_size', pattern: /File too large|EFBIG|No space left on device|ENOSPC/i, detail: 'the file-size or work-folder limit refused a write', always: true },
  { code: 'sandbox.filesystem', pattern: /Permission denied|EACCES|Operation not permitted|EPERM/i, detail: 'a file system or system operation was refused', always: false },
];

function hostEntry(path: string): HostEntry {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return { kind: 'link', target: readlinkSync(path) };
    return stat.isDirectory() ? { kind: 'dir' } : { kind: 'file' };
  } catch {
    return { kind: 'missing' };
  }
}

function unavailable(message: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_SANDBOX_UNAVAILABLE', message, { status: 503, ...(cause === undefined ? {} : { cause }) });
}

/** The argv that starts `run` in the sandbox (bwrap first), and the uid/gid to start it as. */
export function sandboxCommand(run: Pick<SandboxRun, 'command' | 'env' | 'network' | 'readOnlyPaths' | 'limits'>): { argv: string[]; uid?: number; gid?: number } {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw unavailable(`the sandbox supports linux on x86_64 only (this is ${process.platform}/${process.arch})`);
  const argv = [BWRAP, ...bwrapArguments(run, hostEntry)];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? { argv, uid: SANDBOX_UID, gid: SANDBOX_UID } : { argv };
}

export function runSandboxed(run: SandboxRun): Promise<SandboxResult> {
  const { argv, uid, gid } = sandboxCommand(run);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
      // Exactly the tool's environment: bwrap passes it on (values never go on the command line).
      env: { ...run.env },
      ...(uid === undefined ? {} : { uid, gid }),
    });
    const violations: SandboxReport['violations'] = [];
    const chunks: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
    const sizes = { stdout: 0, stderr: 0 };
    let killedFor: string | null = null;
    const kill = (code: string, detail: string) => {
      if (killedFor !== null) return;
      killedFor = code;
      violations.push({ code, detail });
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const take = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      sizes[stream] += chunk.byteLength;
      const kept = sizes.stdout + sizes.stderr;
      if (kept > run.limits.outputBytes) {
        kill('sandbox.output', `output exceeded ${run.limits.outputBytes} bytes`);
        return;
      }
      chunks[stream].push(chunk);
    };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    const wall = setTimeout(() => kill('sandbox.wall_time', `still running after ${run.limits.wallMs} ms`), run.limits.wallMs);
    const onAbort = () => kill('sandbox.aborted', 'the call was cancelled (tool timeout or caller)');
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      clearTimeout(wall);
      run.signal?.removeEventListener('abort', onAbort);
      reject(unavailable('the sandbox could not start (is bubblewrap installed? scripts/system-deps.ts installs it)', error));
    });
    const seccomp = child.stdio[3] as NodeJS.WritableStream;
    seccomp.on('error', () => undefined);
    seccomp.end(seccompProgram({ network: run.network }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.stdin ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(wall);
      run.signal?.removeEventListener('abort', onAbort);
      const stdout = Buffer.concat(chunks.stdout).toString('utf8');
      const stderr = Buffer.concat(chunks.stderr).toString('utf8');
      if (code === 1 && killedFor === null && /^bwrap: /.test(stderr)) {
        reject(unavailable(`the sandbox could not be set up: ${stderr.slice(7, 200).trim()}`));
        return;
      }
      // bwrap exits with 128 + n when the command died of signal n.
      const signo = code !== null && code > 128 ? code - 128 : null;
      const signalName = signal ?? (signo === null ? null : (SIGNALS[signo] ?? `signal ${signo}`));
      if (killedFor === null) {
        if (signo === 31) violations.push({ code: 'sandbox.seccomp', detail: 'a forbidden system call was attempted (killed by the seccomp filter)' });
        if (signo === 24 || signo === 9) violations.push({ code: 'sandbox.cpu_time', detail: `cpu time exceeded ${run.limits.cpuSeconds} s` });
        if (signo === 25) violations.push({ code: 'sandbox.file_size', detail: `a file exceeded ${run.limits.fileBytes} bytes` });
      }
      {
        const seen = new Set(violations.map((v) => v.code));
        for (const indicator of INDICATORS) {
          if ((indicator.always || code !== 0) && !seen.has(indicator.code) && indicator.pattern.test(stderr)) {
            seen.add(indicator.code);
            violations.push({ code: indicator.code, detail: indicator.detail });
          }
        }
      }
      resolve({
        stdout,
        stderr,
        report: {
          exit_code: signal === null ? code : null,
          signal: signalName,
          violations,
          stdout_bytes: sizes.stdout,
          stderr_bytes: sizes.stderr,
          duration_ms: Date.now() - started,
          network: run.network,
        },
      });
    });
  });
}
