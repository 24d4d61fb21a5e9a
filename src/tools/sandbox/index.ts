/**
 * Sandboxed runs (docs/sandbox.md): the bubblewrap command line (bwrap.ts), the seccomp
 * filter (seccomp.ts) and the runner that starts a command in them and reports how it
 * ended (run.ts).
 */
export { bwrapArguments, prlimitArguments, SECCOMP_FD, WORK_DIR } from './bwrap.ts';
export { runSeccomp, seccompProgram } from './seccomp.ts';
export { BWRAP, SANDBOX_UID, runSandboxed, sandboxCommand } from './run.ts';
export type { SandboxResult, SandboxRun } from './run.ts';
