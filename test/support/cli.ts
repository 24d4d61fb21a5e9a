/**
 * For tests: runs the `airlock` CLI (bin/airlock.js) as an operator would, in its own process,
 * without blocking the test's event loop (a receiver in the test can answer it meanwhile).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/demo-config.ts';

export const AIRLOCK_BIN = join(REPO_ROOT, 'bin', 'airlock.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `airlock ...args` with NO_COLOR set; resolves with the exit code (-1 when killed) and the output. */
export function runAirlock(args: string[]): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [AIRLOCK_BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}
