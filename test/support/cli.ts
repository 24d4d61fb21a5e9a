/**
 * For tests: runs the `airlock` CLI (bin/airlock.js) as an operator would, in its own process,
 * without blocking the test's event loop (a receiver in the test can answer it meanwhile).
 */
import { spawn, spawnSync } from 'node:child_process';
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

/**
 * Runs `airlock ...args` to its end (60 s at most) with NO_COLOR set; AIRLOCK_TOKEN is the given
 * token, or unset (never inherited from the test's environment).
 */
export function runAirlockSync(args: string[], token?: string): CliRun {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.AIRLOCK_TOKEN;
  if (token !== undefined) env.AIRLOCK_TOKEN = token;
  const r = spawnSync(process.execPath, [AIRLOCK_BIN, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
