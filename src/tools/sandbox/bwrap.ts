/**
 * The bubblewrap command line of a sandboxed run (pure: the host layout is passed in).
 * The sandbox gets new user, pid, ipc, uts and cgroup namespaces and — unless network is
 * allowed — a new network namespace (loopback only); a root that is an empty tmpfs made
 * read-only after setup, with the system folders bound read-only (/usr and the /bin, /lib
 * ... links or folders beside it), a minimal /etc (the loader cache, passwd and group; DNS
 * and certificates only with network), fresh /proc and /dev, and one writable tmpfs work
 * folder of bounded size (also TMPDIR; /tmp is read-only); /dev/shm is a tmpfs of the same bound. Nothing else of the host is visible: no /home, /root, /var,
 * the real /etc/shadow (an unreadable decoy stands in its place), and no project files unless
 * listed in `readOnlyPaths`. The environment is only what bwrap is started with (the tool's
 * `env`; the caller starts it with nothing else) plus a few defaults. The command runs under prlimit (CPU seconds, address space, processes, file
 * size, no core dumps) as the sandbox's own user, with the seccomp filter read from fd 3.
 */
import type { SandboxLimits } from '../../core/types.ts';

export const WORK_DIR = '/work';
export const SECCOMP_FD = 3;
export const PRLIMIT = '/usr/bin/prlimit';

/** Environment defaults inside the sandbox (a tool's own `env` wins). */
export const SANDBOX_ENV_DEFAULTS: Readonly<Record<string, string>> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: WORK_DIR, TMPDIR: WORK_DIR, LANG: 'C.UTF-8' };

/** What the host looks like at a path: a folder, a link (to its target), a file, or nothing. */
export type HostEntry = { kind: 'dir' } | { kind: 'file' } | { kind: 'link'; target: string } | { kind: 'missing' };

export interface BwrapPlan {
  command: string[];
  env: Record<string, string>;
  network: boolean;
  readOnlyPaths: string[];
  limits: SandboxLimits;
}

const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_ALWAYS = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/localtime', '/etc/passwd', '/etc/group', '/etc/nsswitch.conf'];
/** Decoys: present but unreadable, so a read attempt fails with "Permission denied" (recorded) rather than passing unnoticed. */
const DECOYS = ['/etc/shadow', '/etc/gshadow', '/etc/sudoers', '/root'];
const ETC_NETWORK = ['/etc/resolv.conf', '/etc/hosts', '/etc/host.conf', '/etc/gai.conf', '/etc/ssl', '/etc/ca-certificates', '/etc/pki'];

/** bwrap's arguments (after the program name) for `plan`; `host` describes paths of this machine. */
export function bwrapArguments(plan: BwrapPlan, host: (path: string) => HostEntry): string[] {
  const args: string[] = ['--unshare-all', '--unshare-user'];
  if (plan.network) args.push('--share-net');
  args.push('--disable-userns', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--hostname', 'sandbox');
  args.push('--ro-bind', '/usr', '/usr');
  for (const path of TOP_LEVEL) {
    const entry = host(path);
    if (entry.kind === 'link') args.push('--symlink', entry.target, path);
    else if (entry.kind === 'dir') args.push('--ro-bind', path, path);
  }
  for (const path of [...ETC_ALWAYS, ...(plan.network ? ETC_NETWORK : [])]) {
    if (host(path).kind !== 'missing') args.push('--ro-bind', path, path);
  }
  for (const path of DECOYS) args.push('--perms', '0000', '--dir', path);
  args.push('--proc', '/proc', '--dev', '/dev');
  // bwrap's /dev is an unbounded tmpfs with a writable /dev/shm: that folder gets its own tmpfs of the
  // work folder's size, so no writable place is unbounded (POSIX shared memory still works).
  args.push('--size', String(plan.limits.fileBytes), '--perms', '0700', '--tmpfs', '/dev/shm');
  args.push('--size', String(plan.limits.fileBytes), '--perms', '0700', '--tmpfs', WORK_DIR);
  // After the work folder: a listed path inside /work stays visible (read-only) rather than hidden by it.
  for (const path of plan.readOnlyPaths) args.push('--ro-bind', path, path);
  // /tmp exists but is part of the read-only root: a write there fails as read-only (recorded), not as missing.
  args.push('--dir', '/tmp');
  args.push('--remount-ro', '/');
  // The environment is the one bwrap is started with (the runner gives it the tool's env only), so
  // values — resolved secrets among them — never appear on a command line; only these defaults do.
  // The work folder is the only writable place (no writable /tmp): temporary files go there too.
  for (const [name, value] of Object.entries(SANDBOX_ENV_DEFAULTS)) if (!Object.hasOwn(plan.env, name)) args.push('--setenv', name, value);
  args.push('--chdir', WORK_DIR, '--seccomp', String(SECCOMP_FD));
  args.push('--', ...prlimitArguments(plan.limits), '--', ...plan.command);
  return args;
}

/** prlimit and its arguments (hard limits too, so the command cannot raise them). */
export function prlimitArguments(limits: SandboxLimits): string[] {
  return [
    PRLIMIT,
    // Soft below hard: the CPU limit arrives as SIGXCPU (recognizable), SIGKILL a second later.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    '--core=0',
    '--nofile=256',
  ];
}
